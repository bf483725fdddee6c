"""django-q2 tasks: plain functions, queued by dotted path with primary keys as arguments."""

from __future__ import annotations

from .pipeline.runs import launch


def execute_run(run_pk: int) -> str:
    return launch.execute(run_pk)


def scheduled(stage: str, entity: str, year: int | None = None, month: int | None = None) -> str:
    """Entry point of django-q2 Schedules (see `manage.py setup_schedules`)."""
    from pipeline_ops.pipeline.runs.schedules import launch_scheduled

    return launch_scheduled(stage, entity, year, month)


def nightly_sync() -> str:
    """The nightly Schedule: every changed workbook-year, one dbt build (stages/batch.py)."""
    from pipeline_ops.pipeline.stages.batch import not_clean, sync_all

    outcomes = sync_all(changed_only=True)
    return not_clean(outcomes) or f"{len(outcomes)} workbook-year(s) checked, all clean"
