"""`manage.py demo`, what `make run` prepares: each step only when its result is missing, so
a repeat does no demo work and never touches a workbook staff accepted (issue #23)."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from pipeline_ops.models import Entity, MonthState, PipelineRun, ReportState
from pipeline_ops.pipeline.workbook.sources import file_sha256
from tests.workbooks import build_workbook, standard_orders

pytestmark = pytest.mark.django_db
ROWS = "12"  # orders per demo month: the preparation, not the volume, is under test


def demo() -> str:
    out = StringIO()
    call_command("demo", "--rows-per-month", ROWS, stdout=out)
    return out.getvalue()


def source(data_dir: Path, year: int) -> Path:
    return data_dir / "sources" / "IONS" / f"IONS-{year}.xlsx"


def test_a_repeat_after_an_accepted_upload_does_no_demo_work_and_keeps_the_workbook(
    data_dir, tmp_path, orm_broker
):
    first = demo()  # seeds, syncs, publishes and reports
    assert "seed: entity IONS, wrote 2 demo workbook(s)" in first
    steps = ("sync IONS 2025: done", "sync IONS 2026: done", "publish IONS 2026 month 1-12: done",
             "report IONS 2026 yearly: done")  # fmt: skip
    assert all(step in first for step in steps), first
    assert MonthState.objects.filter(year=2026, level="report").count() == 12
    assert ReportState.objects.get(stem="IONS-2026").built_at is not None
    offered = tmp_path / "inbox" / "IONS-2026.xlsx"
    build_workbook(offered, months=standard_orders())  # staff's own workbook, not the demo's
    call_command("intake", "--entity", "IONS", "--year", "2026", str(offered), "--accept",
                 stdout=StringIO(), stderr=StringIO())  # fmt: skip
    accepted = file_sha256(source(data_dir, 2026))
    assert accepted == file_sha256(offered)
    runs = set(PipelineRun.objects.values_list("pk", "status"))

    out = demo()

    assert "Demo: nothing to do" in out, out
    assert file_sha256(source(data_dir, 2026)) == accepted  # never overwritten
    assert set(PipelineRun.objects.values_list("pk", "status")) == runs  # no demo work
    queued = PipelineRun.objects.filter(stage="sync", trigger="intake").get()
    assert queued.status == "queued"  # the accept's own sync waits for the worker


def test_a_deleted_workbook_is_written_again_and_an_edited_one_is_kept(data_dir):
    demo()
    edited = source(data_dir, 2026)
    build_workbook(edited, months=standard_orders())  # edited by hand, not accepted
    source(data_dir, 2025).unlink()
    kept = file_sha256(edited)

    out = demo()

    assert "wrote 1 demo workbook(s)" in out and source(data_dir, 2025).exists()
    assert file_sha256(edited) == kept
    assert "sync IONS 2026: done" in out  # a changed workbook is synced, not replaced
    assert Entity.objects.filter(code="IONS").count() == 1
