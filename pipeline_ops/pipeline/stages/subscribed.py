"""`subscribed`: the reports subscribers asked for, built at the end of the monthly
schedule's chain (docs/reports.md, "Subscriptions and delivery").

The chain's `report` builds the whole entity's monthly report; this stage builds what else a
subscription names for the month that just closed: that month's unit reports, the quarter's
reports when the month ends a quarter, the year's in December. Each is a `report` run inside
this one, so it carries the schedule's trigger and its subscribers get it by mail
(delivery.queue_for_run). One report that cannot be built does not keep the others from
being built and sent; the stage then fails naming it.
"""

from __future__ import annotations

from pipeline_ops.models import ReportSubscription
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.period import QUARTERS, MonthRange
from pipeline_ops.pipeline.runs.calls import StageCall, recorded, tell
from pipeline_ops.pipeline.runs.stage_run import StageContext
from pipeline_ops.pipeline.stages.report import run_report

Wanted = tuple[str, MonthRange | None, str]  # report type, months, unit ("" = whole entity)


def wanted_reports(entity: str, month: int) -> list[Wanted]:
    """What active subscriptions want when `month` closes; the whole monthly report is the
    chain's own `report`, so it is not repeated here."""
    subscribed = set(
        ReportSubscription.objects.filter(entity__code=entity, active=True)
        .values_list("report_type", "unit")
        .distinct()
    )
    quarter = next((MonthRange(a, b) for a, b in QUARTERS if b == month), None)
    periods = {"monthly": MonthRange(month, month), "quarterly": quarter,
               "yearly": None if month == 12 else False}  # fmt: skip
    found = []
    for kind, unit in sorted(subscribed):
        months = periods[kind]
        if months is False or (kind == "quarterly" and months is None):
            continue  # the period is not over yet
        if kind == "monthly" and not unit:
            continue
        found.append((kind, months, unit))
    return found


@recorded("subscribed")
def run_subscribed(call: StageCall, ctx: StageContext) -> None:
    if call.months is None:
        raise PipelineError("The subscribers' reports follow a month: give --month.")
    failed = []
    wanted = wanted_reports(call.entity, call.months.end)
    for kind, months, unit in wanted:
        try:
            run_report(call.entity, call.year, months, report_type=kind, unit=unit or None,
                       **call.nested(ctx.run))  # fmt: skip
        except PipelineError as exc:
            failed.append(f"{kind} {unit or 'whole entity'}: {exc}")
    ctx.row_count = len(wanted) - len(failed)
    tell(call, ctx, f"{ctx.row_count} subscribed report(s) built")
    if failed:
        raise PipelineError("Not built for their subscribers: " + "; ".join(failed))
