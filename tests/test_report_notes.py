"""Staleness (seed plan T-009): a report built from data behind its workbook says so."""

from __future__ import annotations

import json
from datetime import timedelta

import openpyxl
import pytest
from django.core.management import call_command

from pipeline_ops.models import Report
from pipeline_ops.pipeline.period import MonthRange, resolve_period
from pipeline_ops.pipeline.reports.staleness import staleness_warnings
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.records import record_pipeline_complete, record_pipeline_start
from pipeline_ops.pipeline.runs.warehouse import connect
from pipeline_ops.pipeline.stages.report import run_report
from pipeline_ops.pipeline.stages.sync import run_sync
from pipeline_ops.pipeline.workbook.sources import file_sha256
from tests.test_report import warehouse_data  # noqa: F401  (fixture)
from tests.workbooks import standard_workbook

pytestmark = pytest.mark.django_db


def record(stage: str, *, source_file_hash: str | None = None, shift: float = 0) -> None:
    """A successful run row, completed `shift` seconds from now (to order them in time)."""
    with pipeline_lock(), connect() as con:
        run = record_pipeline_start(con, entity="IONS", year=2026, stage=stage)
        record_pipeline_complete(con, run, status="success", source_file_hash=source_file_hash)
        con.execute(
            "UPDATE _pipeline_runs SET completed_at = completed_at + ? WHERE id = ?",
            [timedelta(seconds=shift), run.warehouse_id],
        )


def warnings() -> list[str]:
    with pipeline_lock():
        return staleness_warnings("IONS", 2026).warnings


def test_no_transform_at_all_is_a_warning(entity):
    assert any("No successful transform exists for IONS 2026" in w for w in warnings())


def test_a_load_newer_than_the_last_transform_is_a_warning(entity):
    record("transform")
    record("load", shift=5)
    (only,) = warnings()
    assert "loaded" in only and "after the last transform" in only


def test_a_transform_after_the_last_load_is_fresh(entity, data_dir):
    path = data_dir / "sources/IONS/IONS-2026.xlsx"
    standard_workbook(path)
    record("extract", source_file_hash=file_sha256(path))
    record("load", shift=1)
    record("transform", shift=2)
    assert warnings() == []


def test_a_changed_workbook_is_a_warning(entity, data_dir):
    path = data_dir / "sources/IONS/IONS-2026.xlsx"
    standard_workbook(path)
    record("extract", source_file_hash="0" * 64)
    record("transform", shift=1)
    (only,) = warnings()
    assert "IONS-2026.xlsx changed since the last extract" in only


def _edit_workbook(path) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["FEB"]
    ws.cell(row=ws.max_row, column=10, value=0)  # someone corrects a payment
    wb.save(path)


BANNER = "This report may be out of date."


def shown_warnings(json_path) -> tuple[list[str], bool, list[str]]:
    """The report's warnings as its JSON, HTML (the banner) and XLSX Summary show them."""
    html = json_path.with_suffix(".html").read_text()
    summary = openpyxl.load_workbook(json_path.with_suffix(".xlsx"))["Summary"]
    rows = summary.iter_rows(min_row=2, values_only=True)
    xlsx = [value for label, value, *_ in rows if label == "Warning"]
    return json.loads(json_path.read_text())["warnings"], BANNER in html, xlsx


def test_editing_the_workbook_after_a_sync_makes_the_report_warn_until_forced(
    standard_source, data_dir, capsys
):
    run_sync("IONS", 2026)
    args = ("report", "--entity", "IONS", "--year", "2026", "--month", "2")
    json_path = resolve_period("IONS", 2026, MonthRange(2, 2), "monthly").path(".json")

    call_command(*args)
    assert shown_warnings(json_path) == ([], False, [])
    assert "Warning" not in capsys.readouterr().err

    _edit_workbook(data_dir / "sources/IONS/IONS-2026.xlsx")
    call_command(*args)
    stale, banner, xlsx = shown_warnings(json_path)
    assert len(stale) == 1 and "IONS-2026.xlsx changed since the last extract" in stale[0]
    assert "IONS-2026.xlsx changed since the last extract" in capsys.readouterr().err
    assert banner and "changed since the last extract" in json_path.with_suffix(".html").read_text()
    assert xlsx == stale

    call_command(*args, "--force")
    assert shown_warnings(json_path) == ([], False, [])
    assert "Warning" not in capsys.readouterr().err


def test_warnings_never_block_the_report(warehouse_data):  # noqa: F811
    record("load", shift=5)  # data arrived after the transform that built the marts
    run = run_report("IONS", 2026, MonthRange(2, 2))
    report = json.loads(
        resolve_period("IONS", 2026, MonthRange(2, 2), "monthly").path(".json").read_text()
    )
    assert run.status == "success"
    assert any("after the last transform" in w for w in report["warnings"])
    assert Report.objects.get().warnings == report["warnings"]
