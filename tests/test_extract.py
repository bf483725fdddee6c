"""extract: source workbook → typed Parquet (DESIGN §4 tolerance rules)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipeline_ops.pipeline.extract import file_sha256, run_extract

pytestmark = pytest.mark.django_db


def extracted(data_dir: Path, name: str, sql: str = "SELECT * FROM t ORDER BY 1") -> list[tuple]:
    con = duckdb.connect()
    path = data_dir / "extracts" / "IONS" / "2026" / name
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{path}')")
    return con.execute(sql).fetchall()


def orders(data_dir: Path, columns: str, month: int = 2) -> list[tuple]:
    return extracted(
        data_dir, f"orders-{month:02d}.parquet", f"SELECT {columns} FROM t ORDER BY source_row"
    )


def test_it_extracts_every_month_sheet_and_records_hash_and_rows(entity, standard_source, data_dir):
    run = run_extract("IONS", 2026)
    source = data_dir / "sources" / "IONS" / "IONS-2026.xlsx"
    assert run.status == "success"
    assert run.source_file_hash == file_sha256(source)
    assert run.row_count == 30
    for month in (1, 2, 3):
        assert len(orders(data_dir, "invoice", month)) == 10
    assert len(extracted(data_dir, "programs.parquet")) == 3
