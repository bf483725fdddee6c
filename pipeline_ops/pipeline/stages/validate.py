"""`validate`: the workbook rules (docs/workbooks.md) as SQL; every issue names its cell.

Issues go to `_validation_issues` (replaced per entity/year/month; REFERENSI issues have no
month and are replaced on every run) and are mirrored to Django `ValidationIssue`.
An error blocks its month (pipeline/blocks.py) and fails the run; warnings alone do not.
"""

from __future__ import annotations

import duckdb
from django.db import transaction
from django.db.models import Q

from pipeline_ops.models import PipelineRun, ValidationIssue
from pipeline_ops.pipeline import blocks
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.calls import StageCall, recorded, tell
from pipeline_ops.pipeline.runs.records import get_entity
from pipeline_ops.pipeline.runs.stage_run import StageContext
from pipeline_ops.pipeline.runs.warehouse import connect
from pipeline_ops.pipeline.stages.load import ensure_load_tables
from pipeline_ops.pipeline.text import printable
from pipeline_ops.pipeline.workbook.rules import ISSUES_SQL

SHOWN_ISSUES = 20
ISSUE_COLUMNS = ("month", "sheet", "cell", "rule", "severity", "message", "value")


@recorded("validate")
def run_validate(call: StageCall, ctx: StageContext) -> None:
    entity, year = call.entity, call.year
    with connect() as con:
        month_list = loaded_months(con, entity, year, call.months)
        issues = validate_months(con, entity, year, month_list, ctx.run.warehouse_id)
    mirror_issues(entity, year, month_list, issues, ctx.run)
    ctx.row_count = len(issues)
    tell(call, ctx, *report_lines(entity, year, month_list, issues))
    blocked = blocks.blocked_by(issues, month_list)
    ctx.verdict["months"] = month_list
    if blocked:
        ctx.verdict["blocked"] = blocked
        clean = [month for month in month_list if month not in blocked]
        errors = sum(issue["severity"] == "error" for issue in issues)
        raise blocks.BlockedMonths(
            f"Validation found {errors} error(s) in {entity} {year}, blocking"
            f" {blocks.describe(blocked)}",
            {m: b[2] for m, b in blocked.items()},
            clean,
        )


def loaded_months(
    con: duckdb.DuckDBPyConnection, entity: str, year: int, months: MonthRange | None
) -> list[int]:
    ensure_load_tables(con)
    # A month sheet with a header but no orders is loaded too: load records its columns.
    rows = con.execute(
        "SELECT month FROM raw_orders WHERE entity = $1 AND year = $2 UNION SELECT month"
        " FROM _raw_columns WHERE entity = $1 AND year = $2 AND month IS NOT NULL"
        " UNION SELECT month FROM _raw_problems WHERE entity = $1 AND year = $2 ORDER BY 1",
        [entity, year],
    ).fetchall()
    loaded = [r[0] for r in rows]
    if months is None:
        if not loaded:
            raise PipelineError(f"Nothing loaded for {entity} {year}: run `manage.py load` first.")
        return loaded
    missing = [m for m in months.months if m not in loaded]
    if missing:
        raise PipelineError(
            f"Month {', '.join(map(str, missing))} of {entity} {year} is not loaded:"
            f" run `manage.py load --entity {entity} --year {year} --month {months}` first."
        )
    return months.months


def validate_months(
    con: duckdb.DuckDBPyConnection, entity: str, year: int, months: list[int], run_id: int | None
) -> list[dict]:
    """Compute issues and replace the stored ones and the months' blocks, in one
    transaction."""
    params = {"entity": entity, "year": year, "months": months}
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "DELETE FROM _validation_issues WHERE entity = $entity AND year = $year"
            " AND (month IS NULL OR month IN $months)",
            params,
        )
        con.execute(
            f"INSERT INTO _validation_issues BY NAME SELECT *, $entity AS entity, $year AS year,"
            f" $run_id AS run_id FROM ({ISSUES_SQL})",
            {**params, "run_id": run_id},
        )
        rows = con.execute(
            f"SELECT {', '.join(ISSUE_COLUMNS)} FROM _validation_issues"
            " WHERE entity = $entity AND year = $year AND (month IS NULL OR month IN $months)"
            " ORDER BY severity, month NULLS FIRST, sheet, rule, cell",
            params,
        ).fetchall()
        rows.sort(key=issue_order)
        issues = [dict(zip(ISSUE_COLUMNS, row, strict=True)) for row in rows]
        blocks.store(con, entity, year, months, blocks.blocked_by(issues, months))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return issues


def issue_order(row: tuple) -> tuple:
    """Errors first, then by sheet position: month, then row, then column."""
    month, _sheet, cell, _rule, severity = row[:5]
    ref = cell.split("!")[-1]
    letters = "".join(ch for ch in ref if ch.isalpha())
    digits = "".join(ch for ch in ref if ch.isdigit())
    return (severity != "error", month or 0, int(digits or 0), len(letters), letters)


def mirror_issues(
    entity: str, year: int, months: list[int], issues: list[dict], run: PipelineRun
) -> None:
    owner = get_entity(entity)
    with transaction.atomic():
        ValidationIssue.objects.filter(entity=owner, year=year).filter(
            Q(month__in=months) | Q(month__isnull=True)
        ).delete()
        ValidationIssue.objects.bulk_create(
            [ValidationIssue(entity=owner, year=year, run=run, **_printable(i)) for i in issues],
            batch_size=1000,
        )


def _printable(issue: dict) -> dict:
    """Workbook text as the admin and PostgreSQL can hold it: control characters escaped."""
    text = {key: printable(issue[key] or "") for key in ("sheet", "cell", "message", "value")}
    return {**issue, **text}


def report_lines(entity: str, year: int, months: list[int], issues: list[dict]) -> list[str]:
    errors = sum(i["severity"] == "error" for i in issues)
    span = f"month {months[0]}" if len(months) == 1 else f"months {', '.join(map(str, months))}"
    lines = [f"{entity} {year} {span}: {errors} error(s), {len(issues) - errors} warning(s)"]
    counts: dict[tuple[str, str], int] = {}
    for issue in issues:
        key = (issue["rule"], issue["severity"])
        counts[key] = counts.get(key, 0) + 1
    for (rule, severity), count in sorted(counts.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        lines.append(f"  {rule:<24}{severity:<9}{count:>7}")
    if issues:
        lines.append(f"First {min(SHOWN_ISSUES, len(issues))} issue(s):")
    for issue in issues[:SHOWN_ISSUES]:
        value = f" [{issue['value']}]" if issue["value"] not in (None, "") else ""
        where = f"{issue['cell']:<14} {issue['severity']:<8}"
        lines.append(f"  {where} {issue['rule']}: {issue['message']}{value}")
    return lines
