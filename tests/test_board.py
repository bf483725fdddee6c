"""The freshness board: levels, open failures, blocked months, reported-but-not-published and
stale flags, from the Django mirrors only (no warehouse)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pipeline_ops.console.board import board
from pipeline_ops.models import PipelineRun, ValidationIssue
from pipeline_ops.pipeline.stages.sync import run_sync

pytestmark = pytest.mark.django_db


def issue(entity, month: int | None, severity: str = "error", cell: str = "FEB!D7") -> None:
    ValidationIssue.objects.create(
        entity=entity, year=2026, month=month, cell=cell, rule="blank_student",
        severity=severity, message="Nama Siswa is blank",
    )  # fmt: skip


def blocked_months(year: int = 2026) -> dict[int, str]:
    ((_entity, cells),) = board(year)
    return {cell.month: cell.blocked for cell in cells if cell.blocked}


def test_an_error_blocks_its_own_month_on_the_board_and_a_warning_blocks_nothing(entity):
    issue(entity, 2)
    issue(entity, 3, severity="warning", cell="MAR!C4")
    assert blocked_months() == {2: "FEB!D7 blank_student: Nama Siswa is blank"}
    assert blocked_months(2025) == {}


def test_an_error_in_referensi_blocks_every_month(entity):
    issue(entity, None, cell="REFERENSI!C9")
    assert sorted(blocked_months()) == list(range(1, 13))


def test_the_admin_index_shows_a_blocked_month_in_red_with_its_first_error(admin_client, entity):
    issue(entity, 2)
    html = admin_client.get(reverse("admin:index"), {"year": 2026}).content.decode()
    assert 'class="fresh fresh-blocked"' in html
    assert "first: FEB!D7 blank_student: Nama Siswa is blank" in html


T0 = timezone.now() - timedelta(days=2)


def run(
    entity,
    stage: str,
    status: str = "success",
    at: int = 0,
    month: int | None = 2,
    parent: PipelineRun | None = None,
    sha: str = "",
    error: str = "",
) -> PipelineRun:
    """A finished run of 2026 `at` minutes after T0 (month None: the whole year)."""
    done = T0 + timedelta(minutes=at)
    return PipelineRun.objects.create(
        entity=entity, year=2026, month=month, month_end=month, stage=stage, status=status,
        started_at=done, completed_at=done, parent=parent, source_file_hash=sha,
        error_message=error,
    )  # fmt: skip


def cell(month: int = 2):
    ((_entity, cells),) = board(2026)
    return cells[month - 1]


def index(client) -> str:
    return client.get(reverse("admin:index"), {"year": 2026}).content.decode()


def test_a_failed_sync_after_a_successful_one_turns_its_month_red_with_the_error_and_a_link(
    admin_client, entity
):
    run(entity, "sync", at=0)
    run(entity, "transform", at=0)
    failed = run(entity, "sync", "failed", at=10, error="sync stopped at extract: FEB is empty")
    assert cell(2).failure.root == failed and cell(2).label == "transformed"
    assert cell(3).failure is None
    html = index(admin_client)
    assert "fresh-failed" in html and "✖ sync failed" in html
    assert reverse("admin:pipeline_ops_pipelinerun_change", args=[failed.pk]) in html
    assert "sync stopped at extract: FEB is empty" in html  # the tooltip (title attribute)


def test_a_later_success_of_the_stage_or_of_a_chain_running_it_clears_the_red(entity):
    run(entity, "transform", "failed", at=0, error="dbt failed")
    assert cell().failure.run.stage == "transform"
    run(entity, "sync", at=5)
    assert cell().failure is None


def test_a_failed_stage_shows_its_name_and_links_to_the_run_that_was_launched(entity):
    chain = run(entity, "chain", "failed", at=3, error="sync stopped at transform: dbt failed")
    sync = run(entity, "sync", "failed", at=2, parent=chain, error=chain.error_message)
    run(entity, "transform", "failed", at=1, parent=sync, error="dbt failed")
    found = cell().failure
    assert (found.run.stage, found.root, found.error) == ("transform", chain, chain.error_message)


def test_a_validation_blocking_another_month_does_not_turn_the_clean_months_red(entity):
    sync = run(entity, "sync", "failed", at=2, month=None, error="sync finished without Feb")
    check = run(entity, "validate", "failed", at=1, month=None, parent=sync, error="blocking Feb")
    run(entity, "transform", at=2, month=None, parent=sync)
    issue(entity, 2)
    ValidationIssue.objects.update(run=check)
    assert cell(1).failure is None and cell(1).label == "transformed"
    assert cell(2).blocked


def test_a_blocked_month_links_the_run_that_was_launched_when_validation_blocked_it(
    admin_client, entity
):
    sync = run(entity, "sync", "failed", at=2, month=None, error="sync finished without Feb")
    check = run(entity, "validate", "failed", at=1, month=None, parent=sync, error="blocking Feb")
    issue(entity, 2)
    ValidationIssue.objects.update(run=check)
    assert (cell(2).blocked_by, cell(1).blocked_by) == (sync, None)
    html = index(admin_client)
    assert reverse("admin:pipeline_ops_pipelinerun_change", args=[sync.pk]) in html
    assert "✖ sync failed" in html


def test_a_month_reported_but_never_published_is_its_own_state(admin_client, entity):
    run(entity, "transform", at=0)
    run(entity, "report", at=5)
    assert cell().unpublished and cell().label == "reported"
    assert "fresh-report fresh-unpublished" in index(admin_client)
    assert "not published" in index(admin_client)
    run(entity, "publish", at=10)
    assert not cell().unpublished


def test_a_re_transform_of_unchanged_data_leaves_the_report_fresh_a_changed_workbook_not(
    entity,
):
    run(entity, "load", at=0, sha="a" * 64)
    run(entity, "transform", at=1)
    run(entity, "publish", at=2)
    run(entity, "report", at=3)
    run(entity, "load", at=10, sha="a" * 64)  # the nightly sync of the same workbook
    run(entity, "transform", at=11)
    assert cell().stale_for == []
    run(entity, "load", at=20, month=None, sha="b" * 64)  # the workbook changed
    assert cell().stale_for == ["the marts", "the ops DB", "the report"]
    run(entity, "transform", at=21, month=None)
    assert cell().stale_for == ["the ops DB", "the report"]


def test_a_changed_workbook_loaded_for_another_month_leaves_this_month_fresh(entity):
    run(entity, "load", at=0, sha="a" * 64)
    run(entity, "report", at=3)
    run(entity, "load", at=10, month=3, sha="b" * 64)
    assert cell(2).stale_for == []


def test_months_a_whole_year_sync_found_no_sheet_for_show_nothing_made(entity, standard_source):
    run_sync("IONS", 2026)  # the workbook has JAN-MAR only
    ((_entity, cells),) = board(2026)
    assert [c.label for c in cells[:4]] == ["transformed", "transformed", "transformed", "—"]
    assert {c.label for c in cells[3:]} == {"—"}
    load = PipelineRun.objects.get(stage="load")
    assert load.options["months_loaded"] == [1, 2, 3]
