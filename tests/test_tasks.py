from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django_q.models import Schedule

from pipeline_ops.models import Entity
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.notify import OPERATORS_GROUP, VIEWERS_GROUP
from pipeline_ops.pipeline.runs.schedules import scheduled_work

pytestmark = pytest.mark.django_db


def test_setup_schedules_is_idempotent_with_one_nightly_and_a_monthly_per_entity(entity, capsys):
    Entity.objects.create(code="ACME", name="Acme")
    Entity.objects.create(code="OLD", name="Old", active=False)
    call_command("setup_schedules")
    call_command("setup_schedules")
    names = sorted(Schedule.objects.values_list("name", flat=True))
    assert names == [
        "Monthly publish + report ACME",
        "Monthly publish + report IONS",
        "Nightly sync (changed workbooks)",
    ]
    nightly = Schedule.objects.get(name="Nightly sync (changed workbooks)")
    assert (nightly.func, nightly.args, nightly.schedule_type) == (
        "pipeline_ops.tasks.nightly_sync", "()", "D",
    )  # fmt: skip
    assert "0 created, 3 already present" in capsys.readouterr().out


def test_setup_schedules_replaces_the_old_per_entity_nightly_syncs(entity):
    Schedule.objects.create(name="Nightly sync IONS", func="pipeline_ops.tasks.scheduled",
                            args="('sync', 'IONS')", schedule_type="D")  # fmt: skip
    call_command("setup_schedules")
    assert not Schedule.objects.filter(name="Nightly sync IONS").exists()
    assert Schedule.objects.filter(func="pipeline_ops.tasks.nightly_sync").count() == 1


def test_a_scheduled_sync_of_one_entity_covers_the_current_year():
    work = scheduled_work("sync", "IONS", today=date(2026, 3, 5))
    assert (work.stage, work.year, work.months) == ("sync", 2026, None)


def test_the_monthly_run_publishes_and_reports_the_previous_month():
    work = scheduled_work("publish", "IONS", today=date(2026, 3, 1))
    assert (work.stage, work.year, work.months, work.then) == (
        "chain",
        2026,
        MonthRange(2, 2),
        ("publish", "report", "subscribed"),
    )


def test_in_january_the_monthly_run_reports_the_previous_december():
    work = scheduled_work("publish", "IONS", today=date(2026, 1, 1))
    assert (work.year, work.months) == (2025, MonthRange(12, 12))


def test_migrate_creates_the_two_roles_with_their_permissions():
    operators = set(
        Group.objects.get(name=OPERATORS_GROUP).permissions.values_list("codename", flat=True)
    )
    viewers = set(
        Group.objects.get(name=VIEWERS_GROUP).permissions.values_list("codename", flat=True)
    )
    assert "launch_pipelinerun" in operators and "launch_pipelinerun" not in viewers
    assert {"view_report", "view_pipelinerun"} <= viewers


def test_setup_roles_command_reports_each_group(capsys):
    call_command("setup_roles")
    out = capsys.readouterr().out
    assert OPERATORS_GROUP in out and VIEWERS_GROUP in out
