"""load: Parquet extracts → raw_* tables, replaced per entity/year/month, in one transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pipeline_ops.models import Entity, PipelineRun
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.warehouse import connect
from pipeline_ops.pipeline.stages.extract import run_extract
from pipeline_ops.pipeline.stages.load import run_load
from tests.workbooks import build_workbook, order, standard_orders, standard_workbook

pytestmark = pytest.mark.django_db


def sql(query: str, params=None) -> list[tuple]:
    with pipeline_lock(), connect() as con:
        return con.execute(query, params or []).fetchall()


def per_month(entity: str = "IONS") -> dict[int, int]:
    return dict(sql("SELECT month, count(*) FROM raw_orders WHERE entity = ? GROUP BY 1", [entity]))


def test_loading_month_2_then_3_then_2_keeps_months_separate_without_duplicates(standard_source):
    run_extract("IONS", 2026)
    run_load("IONS", 2026, MonthRange(2, 2))
    assert per_month() == {2: 10}
    run_load("IONS", 2026, MonthRange(3, 3))
    assert per_month() == {2: 10, 3: 10}
    run_load("IONS", 2026, MonthRange(2, 2))
    assert per_month() == {2: 10, 3: 10}
    invoices = sql("SELECT invoice FROM raw_orders")
    assert len(invoices) == len(set(invoices)) == 20
    assert sql("SELECT count(*) FROM raw_programs") == [(3,)]


def test_rows_match_the_workbook_values(standard_source):
    run_extract("IONS", 2026)
    run_load("IONS", 2026)
    expected = standard_orders(2026)
    rows = sql(
        "SELECT month, invoice, order_date, price, discount, paid, status FROM raw_orders"
        " ORDER BY month, source_row"
    )
    assert rows == [
        (m, o["invoice"], o["date"].date(), o["price"], o["discount"], o["paid"], o["status"])
        for m in sorted(expected)
        for o in expected[m]
    ]


def test_a_reloaded_month_replaces_its_rows_with_the_new_extract(entity, workbook_factory):
    workbook_factory(
        months={2: [order(invoice="OLD")], 3: [order(invoice="M3", date=dt.datetime(2026, 3, 1))]}
    )
    run_extract("IONS", 2026)
    run_load("IONS", 2026)
    workbook_factory(months={2: [order(invoice="NEW1"), order(invoice="NEW2")], 3: []})
    run_extract("IONS", 2026, MonthRange(2, 2))
    run_load("IONS", 2026, MonthRange(2, 2))
    assert sql("SELECT month, invoice FROM raw_orders ORDER BY 1, 2") == [
        (2, "NEW1"), (2, "NEW2"), (3, "M3")
    ]  # fmt: skip


def test_other_entities_are_untouched(standard_source, data_dir):
    Entity.objects.create(code="ACME")
    standard_workbook(data_dir / "sources/ACME/ACME-2026.xlsx", entity="ACME")
    for code in ("ACME", "IONS"):
        run_extract(code, 2026)
        run_load(code, 2026)
    run_load("IONS", 2026, MonthRange(1, 1))
    assert per_month("ACME") == {1: 10, 2: 10, 3: 10}
    assert per_month("IONS") == {1: 10, 2: 10, 3: 10}
    assert sql("SELECT entity, count(*) FROM raw_targets GROUP BY 1 ORDER BY 1") == [
        ("ACME", 6), ("IONS", 6)
    ]  # fmt: skip


def test_the_run_records_rows_and_the_workbook_hash(standard_source):
    extract = run_extract("IONS", 2026)
    load = run_load("IONS", 2026)
    assert load.row_count == 30
    assert load.source_file_hash == extract.source_file_hash
    assert sql("SELECT DISTINCT source_file_hash FROM raw_orders") == [(extract.source_file_hash,)]


def test_loading_before_extracting_says_what_to_do(entity):
    with pytest.raises(PipelineError, match=r"run `manage\.py extract` first"):
        run_load("IONS", 2026)
    assert PipelineRun.objects.get(stage="load").status == "failed"


def test_a_damaged_extract_rolls_the_whole_load_back(standard_source, data_dir):
    run_extract("IONS", 2026)
    run_load("IONS", 2026)
    before = sql("SELECT count(*), sum(price) FROM raw_orders")
    build_workbook(data_dir / "sources/IONS/IONS-2026.xlsx", months={2: [order(invoice="NEW")]})
    run_extract("IONS", 2026)
    (data_dir / "extracts/IONS/2026/targets.parquet").write_bytes(b"not parquet")
    with pytest.raises(PipelineError, match="The warehouse is unchanged"):
        run_load("IONS", 2026)
    assert sql("SELECT count(*), sum(price) FROM raw_orders") == before


def test_the_load_command_reports_and_fails_cleanly(standard_source, capsys):
    with pytest.raises(CommandError) as failure:
        call_command("load", entity="IONS", year=2026)
    assert failure.value.returncode == 1
    call_command("extract", entity="IONS", year=2026)
    call_command("load", "--entity", "IONS", "--year", "2026", "--month", "2-3")
    assert "Loaded 20 orders for IONS 2026 month(s) 2, 3" in capsys.readouterr().out


def test_a_whole_year_load_drops_a_month_sheet_that_was_deleted_from_the_workbook(
    entity, workbook_factory
):
    feb = [order(invoice="F-1", date="03/02/2026"), order(invoice="F-2", date="04/02/2026")]
    mar = [order(invoice="M-1", date="03/03/2026")]
    workbook_factory(months={2: feb, 3: mar})
    run_extract("IONS", 2026)
    run_load("IONS", 2026)
    assert per_month() == {2: 2, 3: 1}
    workbook_factory(months={2: feb})  # the MAR sheet was deleted
    run_extract("IONS", 2026)
    run_load("IONS", 2026)
    assert per_month() == {2: 2}
