"""Django's SQLite backend, making its file's folder first (base.py says why)."""
