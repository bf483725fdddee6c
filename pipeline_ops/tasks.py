"""django-q2 tasks: plain functions, queued by dotted path with primary keys as arguments."""

from __future__ import annotations

from pipeline_ops.pipeline.runs import launch


def execute_run(run_pk: int) -> str:
    return launch.execute(run_pk)


def scheduled(stage: str, entity: str, year: int | None = None, month: int | None = None) -> str:
    """Entry point of django-q2 Schedules (see `manage.py setup_schedules`)."""
    from pipeline_ops.pipeline.runs.schedules import launch_scheduled

    return launch_scheduled(stage, entity, year, month)


def nightly_sync() -> str:
    """The nightly Schedule: every changed workbook-year, one dbt build (stages/batch.py)."""
    from pipeline_ops.pipeline.runs.launch import recover_after_dead_workers
    from pipeline_ops.pipeline.stages.batch import not_clean, sync_all

    recover_after_dead_workers("nightly")  # before the batch: nothing left half-done
    outcomes = sync_all(changed_only=True, trigger="schedule")
    return not_clean(outcomes) or f"{len(outcomes)} workbook-year(s) checked, all clean"


def intake_preview(version_pk: int) -> str:
    """Preview an uploaded workbook (queued by the admin's upload; docs/intake.md)."""
    from pipeline_ops.pipeline.intake.versions import run_preview

    return run_preview(version_pk).status


def intake_accept(version_pk: int, queue_sync: bool = True) -> str:
    """Make an accepted workbook the current one (queued by the admin's Accept)."""
    from pipeline_ops.pipeline.errors import PipelineError
    from pipeline_ops.pipeline.intake.decide import accept

    try:
        return accept(version_pk, queue_sync=queue_sync).status
    except PipelineError as exc:  # recorded on the version; the task itself did its job
        return f"not accepted: {exc}"


def send_report_delivery(delivery_pk: int) -> str:
    """Mail one report to one subscriber (queued after a scheduled report; docs/reports.md)."""
    from pipeline_ops.pipeline.reports.delivery import send_delivery

    return send_delivery(delivery_pk)
