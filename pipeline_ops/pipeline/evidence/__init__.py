"""Where a report's number comes from (docs/reports.md, "Where a number comes from").

Every report build keeps the orders of its period as evidence (store.py, a Parquet file
beside the build); every figure it shows has an id (figures.py) that selects the orders
making it and each one's part of it; read.py answers from that file with an in-memory
DuckDB, so the web process never opens the warehouse.
"""
