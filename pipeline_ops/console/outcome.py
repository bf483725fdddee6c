"""A run's page, outcome first: what ran for which period, how it ended and after how
long, who launched it and how, the error with its next step, and what it produced
(reports, validation issues). Django mirrors only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from pipeline_ops.models import PipelineRun, Report, ValidationIssue
from pipeline_ops.pipeline import registry
from pipeline_ops.pipeline.period import period_words
from pipeline_ops.pipeline.reports.links import stable_path
from pipeline_ops.pipeline.state.read import open_failure_clears

HOW = {
    "admin": "from the admin",
    "intake": "by accepting a workbook",
    "schedule": "by a schedule",
    "run_now": "with a schedule's Run now",
    "command": "from the command line",
}
RERUN = "re-run it (Re-run, top right of this page; operators)"
# (words in the error, the next step), first match wins; our own error texts.
NEXT_STEPS = (
    (("validation blocks", "blocking", "blocked months"),
     "Fix the cells its validation issues name in the workbook (Entities → Upload workbook…),"
     " then sync the month again."),
    (("Abandoned", "Never started"),
     f"Its process stopped before it finished and nothing it was writing was kept: {RERUN}."),
    (("not loaded", "Nothing loaded", "No data loaded"),
     "Sync the period first (Entities → Sync…), then run this again."),
    (("pipeline lock",), f"Other work held the pipeline too long: once it has finished, {RERUN}."),
)  # fmt: skip
EXTRACT_STEP = "The workbook could not be read as it is: fix or replace it (Entities → Upload"
EXTRACT_STEP += " workbook…), then sync again."
DEFAULT_STEP = f"Fix the cause named above (the log below has the details), then {RERUN}."


def family(pk: int, via: str = "run__") -> Q:
    """Rows whose `run` is run `pk` or one of its stages (children and grandchildren); with
    `via=""`, those runs themselves."""
    return (
        Q(**{f"{via}id": pk}) | Q(**{f"{via}parent_id": pk}) | Q(**{f"{via}parent__parent_id": pk})
    )


def label(run: PipelineRun) -> str:
    stage = registry.STAGES.get(run.stage)
    return stage.label if stage else run.stage


def run_title(run: PipelineRun) -> str:
    """`Sync (extract → …) · IONS · February 2026` (the page title names the period, and the
    unit of a unit report: `Report · IONS · February 2026 · unit TM`)."""
    period = period_words(run.year, run.month, run.month_end, (run.options or {}).get("unit"))
    return f"{label(run)} · {run.entity.code} · {period}"


def seconds_text(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    return f"{minutes // 60} h {minutes % 60} min"


def took(run: PipelineRun) -> str:
    if run.duration is not None:
        return f"took {seconds_text(run.duration.total_seconds())}"
    if run.status == PipelineRun.Status.RUNNING and run.started_at:
        return f"running for {seconds_text((timezone.now() - run.started_at).total_seconds())}"
    if run.status == PipelineRun.Status.QUEUED:
        return f"queued for {seconds_text((timezone.now() - run.created).total_seconds())}"
    return "no duration recorded"


def failed_stage(run: PipelineRun) -> PipelineRun:
    """The deepest failed run under `run` (a sync's failed transform), or `run` itself."""
    child = run.children.filter(status=PipelineRun.Status.FAILED).order_by("-id").first()
    return failed_stage(child) if child is not None else run


def next_step(run: PipelineRun, failed: PipelineRun) -> str:
    text = f"{run.error_message}\n{failed.error_message}"
    for words, step in NEXT_STEPS:
        if any(word in text for word in words):
            return step
    return EXTRACT_STEP if failed.stage == "extract" else DEFAULT_STEP


@dataclass
class Made:
    """A report the run made, opened at its stable address (its latest build)."""

    report: Report
    url: str  # blank for a row without a stem (made before stable addresses)


def made(report: Report) -> Made:
    kind = "html" if report.html_path else "json"
    return Made(report, stable_path(report.entity.code, report.stem, kind) if report.stem else "")


def published(run: PipelineRun) -> list[str]:
    """`February 2026: 1,500 orders, 1,420 payments` per successful publish in the run (a
    publish replaces its months in the ops DB in one transaction)."""
    publishes = PipelineRun.objects.filter(
        family(run.pk, via=""), stage="publish", status=PipelineRun.Status.SUCCESS
    )
    lines = []
    for each in publishes.order_by("id"):
        orders, payments = each.options.get("published") or [each.row_count or 0, None]
        paid = "" if payments is None else f", {payments:,} payments"
        when = period_words(each.year, each.month, each.month_end)
        lines.append(f"{when}: {orders:,} orders{paid}")
    return lines


@dataclass
class Outcome:
    run: PipelineRun
    title: str
    took: str
    how: str
    failed: PipelineRun | None = None  # the stage that failed, when the run failed
    next_step: str = ""
    reports: list[Made] = field(default_factory=list)
    issues: dict[str, int] = field(default_factory=dict)  # severity → count
    published: list[str] = field(default_factory=list)  # the ops DB months it replaced
    still_open: str = ""  # a failure the month-state record still holds: what clears it

    @property
    def issue_count(self) -> int:
        return sum(self.issues.values())


def outcome(run: PipelineRun) -> Outcome:
    issues = ValidationIssue.objects.filter(family(run.pk)).values("severity")
    counts = {row["severity"]: row["n"] for row in issues.annotate(n=Count("id")).order_by()}
    reports = Report.objects.filter(family(run.pk)).select_related("entity")
    reports = reports.order_by("year", "month_start", "type")
    found = Outcome(run, run_title(run), took(run), HOW.get(run.trigger, f"by {run.trigger}"),
                    reports=[made(r) for r in reports], issues=counts)  # fmt: skip
    found.published = published(run)
    if run.status == PipelineRun.Status.FAILED:
        found.failed = failed_stage(run)
        found.next_step = next_step(run, found.failed)
        found.still_open = open_failure_clears(found.failed.pk)
    return found
