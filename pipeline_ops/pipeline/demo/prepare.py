"""`manage.py demo` (what `make run` prepares): each demo step runs only when its result is
missing, read from the month-state record, so a second `make run` does no demo work.

- seed: when the entity or a demo workbook is missing; an existing workbook (edited, or
  accepted through intake) is never overwritten;
- sync: a year whose workbook is not what was loaded and built (`state.synced`), unless
  it is a version staff accepted (intake queued its own sync for the worker);
- publish: months with data, not blocked, whose ops DB rows are missing or older than their
  data; report: the yearly report when it was never built, failed or is stale;
- schedules and the demo login: idempotent.

A step that fails (a blocked month in an accepted workbook) says so in one line and the
preparation goes on: the admin shows the rest.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline_ops.models import Entity, MonthState, ReportState, WorkbookVersion
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.paths import source_workbook
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.state import read as state
from pipeline_ops.pipeline.workbook.sources import source_sha256

CODE, YEARS, REPORTED = "IONS", (2025, 2026), 2026
Say = Callable[[str], None]


def prepare(say: Say, rows_per_month: int = 1500) -> int:
    """Run what is missing; returns how many steps ran (0: nothing to do)."""
    steps = [_seed(say, rows_per_month), *(_sync(year, say) for year in YEARS)]
    return sum([*steps, _publish(say), _report(say)])


def _seed(say: Say, rows_per_month: int) -> bool:
    from pipeline_ops.pipeline.demo.seed import seed_entity

    entity = Entity.objects.filter(code=CODE).first()
    paths = [source_workbook(CODE, year, entity.source_dir if entity else "") for year in YEARS]
    if entity is not None and all(path.exists() for path in paths):
        return False
    result = seed_entity(CODE, demo=True, years=list(YEARS), missing_only=True,
                         rows_per_month=rows_per_month)  # fmt: skip
    say(f"seed: entity {CODE}, wrote {len(result.workbooks)} demo workbook(s)")
    return True


def _sync(year: int, say: Say) -> bool:
    from pipeline_ops.pipeline.stages.sync import run_sync

    entity = Entity.objects.get(code=CODE)
    current = source_sha256(source_workbook(CODE, year, entity.source_dir))
    if current is None or state.synced(CODE, year, current):
        return False
    accepted = WorkbookVersion.objects.filter(
        entity=entity, year=year, sha256=current, status=WorkbookVersion.Status.ACCEPTED
    )
    if accepted.exists():
        return False  # staff's workbook: its accept queued the sync, the worker runs it
    return _attempt(f"sync {CODE} {year}", say, lambda: run_sync(CODE, year))


def _publish(say: Say) -> bool:
    from pipeline_ops.pipeline.stages.publish import run_publish

    ready = MonthState.objects.filter(
        entity__code=CODE, year=REPORTED, has_data=True, blocked_errors=0
    )
    months = [s.month for s in ready if state.unpublished(s)]
    for span in _spans(months):
        _attempt(f"publish {CODE} {REPORTED} month {span}", say,
                 lambda span=span: run_publish(CODE, REPORTED, span))  # fmt: skip
    return bool(months)


def _report(say: Say) -> bool:
    from pipeline_ops.pipeline.stages.report import run_report

    built = ReportState.objects.filter(entity__code=CODE, stem=f"{CODE}-{REPORTED}").first()
    if built and built.built_at and not built.stale_since and not built.failure_run_id:
        return False
    if not state.with_data(CODE, REPORTED):
        return False
    return _attempt(f"report {CODE} {REPORTED} yearly", say,
                    lambda: run_report(CODE, REPORTED, report_type="yearly"))  # fmt: skip


def _attempt(what: str, say: Say, work: Callable[[], object]) -> bool:
    try:
        work()
    except PipelineError as exc:
        say(f"{what}: {exc}")
    else:
        say(f"{what}: done")
    return True


def _spans(months: list[int]) -> list[MonthRange]:
    """[1, 2, 3, 5] → 1-3, 5: publish takes contiguous ranges."""
    spans: list[MonthRange] = []
    for month in sorted(months):
        if spans and spans[-1].end == month - 1:
            spans[-1] = MonthRange(spans[-1].start, month)
        else:
            spans.append(MonthRange(month, month))
    return spans
