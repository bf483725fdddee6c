"""*Run now* on a schedule: its work, once, by the person who asked; the schedule's next run
and repeats stay as they were (issue #23: moving the next run to now moved the monthly job
for good). The list shows times in TIME_ZONE and links the run a schedule last made."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline.runs.schedules import NIGHTLY_NAME, setup_schedules

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:django_q_schedule_changelist"


def run_now(client, *schedules: Schedule) -> str:
    data = {"action": "run_now", "_selected_action": [s.pk for s in schedules]}
    return client.post(reverse(CHANGELIST), data, follow=True).content.decode()


def test_run_now_queues_the_monthly_work_once_and_leaves_the_schedule_alone(
    client, operator, entity, orm_broker
):
    setup_schedules()
    monthly = Schedule.objects.get(name="Monthly publish + report IONS")
    before = (monthly.next_run, monthly.repeats)
    client.force_login(operator)

    page = run_now(client, monthly)

    assert "Queued 1 schedule(s) once." in page
    run = PipelineRun.objects.get()
    expected = (timezone.localdate().replace(day=1) - timezone.timedelta(days=1)).month
    assert (run.stage, run.entity.code, run.month, run.status) == ("chain", "IONS", expected,
                                                                   "queued")  # fmt: skip
    assert (run.trigger, run.triggered_by) == ("run_now", operator)
    assert OrmQ.objects.count() == 1  # one task for the worker
    monthly.refresh_from_db()
    assert (monthly.next_run, monthly.repeats) == before


def test_run_now_of_the_nightly_sync_queues_its_task_for_the_worker(
    client, operator, entity, orm_broker
):
    setup_schedules()
    nightly = Schedule.objects.get(name=NIGHTLY_NAME)
    before = nightly.next_run
    client.force_login(operator)

    assert "queued for the worker" in run_now(client, nightly)

    assert OrmQ.objects.count() == 1
    assert Schedule.objects.get(pk=nightly.pk).next_run == before


def test_an_operator_cannot_run_now_a_schedule_naming_other_code(client, operator, entity):
    other = Schedule.objects.create(name="evil", func="os.system", args="('id',)")
    client.force_login(operator)

    run_now(client, other)

    assert not PipelineRun.objects.exists()  # not even visible to them, let alone run


def test_the_list_shows_the_next_run_in_time_zone_and_links_the_last_run(
    client, operator, entity, settings
):
    settings.TIME_ZONE = "Asia/Jakarta"
    setup_schedules()
    made = PipelineRun.objects.create(entity=entity, year=2026, stage="chain",
                                      status="success", trigger="schedule")  # fmt: skip
    client.force_login(operator)

    page = client.get(reverse(CHANGELIST)).content.decode()

    assert " WIB" in page
    assert reverse("admin:pipeline_ops_pipelinerun_change", args=[made.pk]) in page
    assert f"run {made.pk} · success" in page


def test_the_change_form_says_next_run_is_in_time_zone_not_utc(client, operator, entity, settings):
    settings.TIME_ZONE = "Asia/Jakarta"
    setup_schedules()
    client.force_login(operator)
    nightly = Schedule.objects.get(name=NIGHTLY_NAME)

    page = client.get(reverse("admin:django_q_schedule_change", args=[nightly.pk])).content

    assert b"in Asia/Jakarta time" in page and b"stored in UTC" not in page
