"""The one place a completed run becomes the month-state record's verdict."""

from __future__ import annotations

from django.db import transaction

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline import registry
from pipeline_ops.pipeline.state import months, reports

SUCCESS, FAILED = PipelineRun.Status.SUCCESS, PipelineRun.Status.FAILED


def record(run: PipelineRun, verdict: dict) -> None:
    """Called by the stage wrapper as `run`'s record completes; `verdict` is what the stage
    decided (load: fingerprints; validate: blocks; report: its build)."""
    with transaction.atomic():
        if run.status == SUCCESS:
            _succeeded(run, verdict)
        elif run.status == FAILED:
            _failed(run, verdict)
        # cancelled or partial (`transform --select`) work decides nothing


def _succeeded(run: PipelineRun, verdict: dict) -> None:
    stage = run.stage
    if "months" not in verdict:  # a stage that said no more: the months it covered
        verdict = {**verdict, "months": months.covered(run)}
    if stage == "extract":
        months.extracted(run, verdict["months"])
    elif stage == "load" and "replaced" in verdict:
        reports.made_stale(run, months.loaded(run, verdict))
    elif stage == "validate":
        months.validated(run, verdict)
    elif stage in ("transform", "publish"):
        months.built(run, stage, verdict["months"], run.completed_at)
    elif stage == "report":
        reports.built(run, verdict)
    if stage not in reports.REPORT_STAGES:
        months.succeeded(run, _settled(run))


def _settled(run: PipelineRun) -> list[int]:
    """The months whose failures of this work a success settles: its range, or for
    whole-year work every month (one whose sheet the workbook no longer has too)."""
    return months.covered(run) if run.month is not None else list(range(1, 13))


def _failed(run: PipelineRun, verdict: dict) -> None:
    if "blocked" in verdict:  # validation that blocked months did its work: they show blocked
        months.validated(run, verdict)
        clean = [m for m in verdict["months"] if m not in verdict["blocked"]]
        months.succeeded(run, clean)
        return
    if run.children.filter(status=FAILED).exists():
        return  # the failed stage inside is the news, recorded as it failed
    if run.stage in reports.REPORT_STAGES:
        reports.failed(run)  # only a build of that report clears it
    else:
        months.failed(run, _clears(run))


def _clears(run: PipelineRun) -> str:
    stage = registry.STAGES.get(run.stage)
    name = stage.label if stage else run.stage
    span, end = "", run.month_end or run.month
    if run.month:
        span = f" month {run.month}" if end == run.month else f" months {run.month}–{end}"
    return f"a successful {name} of {run.entity.code} {run.year}{span}"
