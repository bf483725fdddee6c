"""*Run now* on a schedule in real headless Chromium, with a real django-q2 worker (issue #23:
moving a schedule's next run to now moved the monthly job for good). The operator picks the
action on the Schedules list; the worker runs the schedule's work once; the list links the
run it made, and the schedule's next run has not moved."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from pipeline_ops.models import PipelineRun, Report
from pipeline_ops.pipeline.runs.schedules import TASK
from tests.worker import running_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def wait_until_finished(run: PipelineRun, timeout: float = 180) -> PipelineRun:
    deadline = time.monotonic() + timeout
    while run.status in ("queued", "running"):
        assert time.monotonic() < deadline, f"run {run.pk} still {run.status}"
        time.sleep(0.5)
        run.refresh_from_db()
    return run


def test_an_operator_runs_a_monthly_schedule_now_and_its_next_run_stays(
    page, live_server, warehouse, data_dir, operator
):
    next_run = timezone.now() + timedelta(days=20)
    monthly = Schedule.objects.create(
        name="Monthly publish + report IONS", func=TASK, args=repr(("publish", "IONS", 2026, 2)),
        schedule_type=Schedule.MONTHLY, next_run=next_run, repeats=-1,
    )  # fmt: skip
    page.goto(f"{live_server.url}/admin/django_q/schedule/")
    page.check(f"input[name=_selected_action][value='{monthly.pk}']")
    page.select_option("select[name=action]", "run_now")
    page.click("button[name=index]")
    assert "Queued 1 schedule(s) once." in page.inner_text(".messagelist")

    run = PipelineRun.objects.get(parent__isnull=True)
    with running_worker(data_dir):
        run = wait_until_finished(run)
    assert run.status == "success", run.error_message
    assert (run.trigger, run.triggered_by, run.month) == ("run_now", operator, 2)
    assert Report.objects.filter(type="monthly", month_start=2).exists()
    monthly.refresh_from_db()
    assert (monthly.next_run, monthly.repeats) == (next_run, -1)

    page.reload()
    last = page.locator(f"a[href$='/pipelinerun/{run.pk}/change/']")
    assert f"run {run.pk} · success" in last.inner_text()
    last.click()
    page.wait_for_selector(".run-heading")
    assert "with a schedule's Run now" in page.inner_text(".run-facts")
