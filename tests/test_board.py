"""The freshness board on the admin index reads the month-state record and derives nothing:
each cell is the month's level, blocked, stale and open failure as MonthState holds them;
reports sit under their month (unit and monthly) or in the row's Reports column. The
records here are written directly; tests/test_month_state.py makes them with real runs."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from pipeline_ops.console.board import board
from pipeline_ops.models import Entity, MonthState, PipelineRun, ReportState

pytestmark = pytest.mark.django_db

T0 = timezone.now() - timedelta(days=2)


def at(minutes: int):
    return T0 + timedelta(minutes=minutes)


def run(entity, stage: str, status: str = "success", *, parent=None, error: str = "",
        **fields) -> PipelineRun:  # fmt: skip
    return PipelineRun.objects.create(
        entity=entity, year=2026, stage=stage, status=status, started_at=T0, completed_at=T0,
        parent=parent, error_message=error, **fields,
    )  # fmt: skip


def month(entity, number: int, level: str = "transform", **fields) -> MonthState:
    """A month with data, loaded at T0 and transformed since, unless told otherwise."""
    base = {"has_data": True, "level": level, "changed_at": at(0), "transformed_at": at(1)}
    return MonthState.objects.create(entity=entity, year=2026, month=number, **base | fields)


def report(entity, stem: str, kind: str, start: int, end: int, unit: str = "",
           **fields) -> ReportState:  # fmt: skip
    return ReportState.objects.create(
        entity=entity, year=2026, stem=stem, type=kind, unit=unit, month_start=start,
        month_end=end, **{"built_at": at(2), **fields},
    )  # fmt: skip


def row(year: int = 2026):
    ((_entity, cells, marks),) = board(year)
    return cells, {mark.label: mark.word for mark in marks}


def cell(number: int):
    return row()[0][number - 1]


def index(client, **query) -> str:
    return client.get(reverse("admin:index"), {"year": 2026, **query}).content.decode()


def test_each_cell_shows_the_furthest_stage_its_month_reached(admin_client, entity):
    for number, level in enumerate(["extract", "validate", "transform", "publish"], start=1):
        month(entity, number, level)
    month(entity, 5, "report", published_at=at(3))
    month(entity, 6, "report")  # reported, never published
    month(entity, 7, "", has_data=False)  # the newest load found no sheet
    month(Entity.objects.create(code="OLD", name="OLD", active=False), 1)  # no row

    cells, marks = row()
    assert [c.label for c in cells[:8]] == [
        "extracted", "validated", "transformed", "published", "reported", "reported", "—", "—",
    ]  # fmt: skip
    assert [c.unpublished for c in cells[4:6]] == [False, True] and marks == {}
    html = index(admin_client)
    assert 'class="fresh fresh-report fresh-unpublished"' in html and "not published" in html


def test_a_blocked_month_is_red_with_its_error_count_first_error_and_the_run_that_found_it(
    admin_client, entity
):
    sync = run(entity, "sync", "failed", error="sync finished without the blocked months")
    check = run(entity, "validate", "failed", parent=sync)
    month(entity, 1)
    month(entity, 2, "extract", blocked_errors=3, blocked_cell="FEB!D7", blocked_run=check,
          blocked_issue="FEB!D7 blank_student: Nama Siswa is blank")  # fmt: skip

    assert (cell(2).blocked_errors, cell(2).blocked_by, cell(1).blocked) == (3, sync, "")
    assert cell(2).failure is None  # blocked is its own word, not a failure
    html = index(admin_client)
    assert 'class="fresh fresh-blocked"' in html and "blocked ✖" in html
    assert 'title="Blocked by 3 validation errors; first: FEB!D7 blank_student: Nama' in html
    assert reverse("admin:pipeline_ops_pipelinerun_change", args=[sync.pk]) in html
    issues = reverse("admin:pipeline_ops_validationissue_changelist")
    assert f"{issues}?entity__id__exact={entity.pk}&year=2026&severity__exact=error" in html


def test_an_open_failure_names_its_stage_links_the_launched_run_and_says_what_clears_it(
    admin_client, entity
):
    chain = run(entity, "chain", "failed", error="sync stopped at transform: dbt build failed")
    sync = run(entity, "sync", "failed", parent=chain, error=chain.error_message)
    transform = run(entity, "transform", "failed", parent=sync, error="dbt build failed")
    month(entity, 2, failure_run=transform,
          failure_clears="a successful Transform of IONS 2026")  # fmt: skip
    month(entity, 3)

    found = cell(2).failure
    assert (found.run, found.root, found.error) == (transform, chain, chain.error_message)
    assert cell(2).label == "transformed" and cell(3).failure is None  # the level stays
    html = index(admin_client)
    assert "✖ transform failed" in html
    assert len(re.findall(r'<td class="[^"]*fresh-failed', html)) == 1  # February only
    assert reverse("admin:pipeline_ops_pipelinerun_change", args=[chain.pk]) in html
    assert (
        f"transform failed (run {chain.pk}): sync stopped at transform: dbt build failed."
        " Clears with a successful Transform of IONS 2026." in html
    )


def test_a_stale_month_says_what_was_made_before_its_rows_changed(admin_client, entity):
    month(entity, 1, "report", changed_at=at(0), transformed_at=at(1), published_at=at(2))
    month(entity, 2, "report", changed_at=at(5), transformed_at=at(1), published_at=at(2))
    month(entity, 3, "report", changed_at=at(5), transformed_at=at(6), published_at=at(7))
    report(entity, "IONS-2026-Q1", "quarterly", 1, 3, stale_since=at(5), stale_months=[2])

    assert [c.stale_for for c in row()[0][:3]] == [
        [], ["the marts", "the ops DB", "the report IONS-2026-Q1"], []
    ]  # fmt: skip
    assert row()[1] == {"Q1": "stale"}
    html = index(admin_client)
    stale = "the marts, the ops DB and the report IONS-2026-Q1 were made"
    assert f"Stale: the month's data changed after {stale}" in html
    assert "reported ⚠" in html and "Q1 ⚠" in html


def test_reports_over_months_sit_in_the_reports_column_and_unit_reports_under_their_month(
    admin_client, entity
):
    month(entity, 2, "report", published_at=at(3))
    failed = run(entity, "format", "failed", error="disk full")
    report(entity, "IONS-2026", "yearly", 1, 3, failure_run=failed,
           failure_clears="a successful report IONS-2026")  # fmt: skip
    report(entity, "IONS-2026-Q1-TM", "quarterly", 1, 3, unit="TM")
    report(entity, "IONS-2026-02", "monthly", 2, 2)  # built and current: the cell's word says it
    report(entity, "IONS-2026-02-TM", "monthly", 2, 2, unit="TM")
    report(entity, "IONS-2026-02-DR", "monthly", 2, 2, unit="DR", failure_run=failed)
    report(entity, "IONS-2026-04", "monthly", 4, 4, failure_run=failed, built_at=None)

    assert row()[1] == {"2026": "failed", "Q1-TM": "built"}
    april = cell(4)  # no data yet: its failed report still shows where it belongs
    assert (april.label, [(m.label, m.word) for m in april.units]) == ("—", [("report", "failed")])
    assert cell(2).label == "reported" and cell(2).failure is None
    assert {m.label: m.word for m in cell(2).units} == {"TM": "built", "DR": "failed"}
    html = index(admin_client)
    assert 'title="IONS-2026: failed (clears with a successful report IONS-2026)">2026 ✖' in html
    assert 'title="IONS-2026-02-TM: built">TM ✔' in html and "DR ✖" in html


def test_the_year_arrows_step_the_board_and_each_year_shows_its_own_months(admin_client, entity):
    month(entity, 2)
    MonthState.objects.create(entity=entity, year=2025, month=2, blocked_errors=1,
                              blocked_issue="FEB!D7 r: m")  # fmt: skip

    html = index(admin_client, year=2025)

    assert "Freshness 2025" in html and "?year=2024" in html and "?year=2026" in html
    assert [c.label for c in row(2025)[0][:2]] == ["—", "—"] and row(2025)[0][1].blocked
    assert cell(2).label == "transformed" and not cell(2).blocked
    this_year = f"Freshness {timezone.localdate().year}"
    assert this_year in admin_client.get(reverse("admin:index"), {"year": "soon"}).content.decode()


def test_staff_without_view_pipelinerun_see_neither_the_board_nor_the_banner(client, entity):
    month(entity, 2, blocked_errors=1, blocked_issue="FEB!D7 r: m")
    client.force_login(User.objects.create_user("sam", "sam@example.com", "pw", is_staff=True))

    html = index(client)

    assert "freshness-board" not in html and "pipeline-banner" not in html and "IONS" not in html
