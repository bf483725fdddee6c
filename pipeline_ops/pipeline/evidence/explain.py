"""`manage.py explain`: the orders behind one figure of a built report, from a terminal.

The report is named by the same flags as `report` (resolve_period: the same stem, so the
same `Report` row); the figure by `--figure` and its filters (figures.parse: the same id
the report JSON lists). The answer is read from the report's latest build only — its kept
JSON and evidence file, which no later build rewrites — with an in-memory DuckDB: the
warehouse is never opened and nothing is written, so it is safe while other work runs.
Its total is checked against the number the report shows for that figure (when the report
shows it): a mismatch means damaged files, never a silently different answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.evidence.figures import KINDS, MONEY, Figure, parse
from pipeline_ops.pipeline.period import MonthRange, Period, period_words, resolve_period
from pipeline_ops.pipeline.reports.labels import rupiah

# `--json` rows: the keys a consumer needs first, then the rest of read.NAMES.
FIRST = ("invoice", "amount", "sheet", "row", "cell", "workbook_sha256", "date", "student",
         "program", "unit", "status")  # fmt: skip
TABLE = (("Invoice", "invoice"), ("Amount", "amount"), ("Cell", "cell"),
         ("Student", "student"), ("Program", "program"), ("Status", "status"))  # fmt: skip
WIDEST = 32  # a table cell longer than this is cut (the JSON keeps it whole)


@dataclass(frozen=True)
class Question:
    period: Period
    figure: Figure


@dataclass
class Answer:
    question: Question
    total: int
    count: int
    rows: list[dict]
    at: str | None  # where the report JSON shows this number (None: it does not show it)


def ask(entity: str, year: int, months: MonthRange | None, report_type: str,
        unit: str | None, kind: str, **filters: str | None) -> Question:  # fmt: skip
    """Flags → the report and the figure (`filters`: program, day, status, month); a
    ValueError says which flag is wrong (the command exits 2)."""
    period = resolve_period(entity, year, months, report_type, unit)
    if kind not in KINDS:
        raise ValueError(f"figure {str(kind)[:40]!r} is not one of {', '.join(KINDS)}")
    for name, value in filters.items():  # a message never quotes a whole hostile value
        if value is not None and len(str(value)) > 100:
            raise ValueError(f"{name} {str(value)[:40]!r}… is longer than 100 characters")
    filters["day"] = _day(period, filters.get("day"))
    figure = parse(kind, filters)
    if figure.month and period.months and figure.month not in period.months.months:
        raise ValueError(f"month {figure.month} is not in {period.stem}")
    return Question(period, figure)


def _day(period: Period, text: str | None) -> str | None:
    """`14` (a day of a monthly report's month) or `2026-02-14` (any date of the period)."""
    if text is None or not str(text).strip():
        return None
    text, shown = str(text).strip(), repr(str(text)[:40])
    if text.isdigit() and len(text) <= 2:
        if period.type != "monthly":
            raise ValueError(f"day {shown} needs a monthly report; give a date (YYYY-MM-DD)")
        try:
            return date(period.year, period.months.start, int(text)).isoformat()
        except ValueError:
            words = period_words(period.year, period.months.start)
            raise ValueError(f"day {shown} is not a day of {words}") from None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"day {shown} is not a day (14) or a date (YYYY-MM-DD)") from None
    inside = period.months.months if period.months else range(1, 13)
    if day.year != period.year or day.month not in inside:
        raise ValueError(f"day {day} is outside {period.stem}")
    return day.isoformat()


def explain(question: Question) -> Answer:
    """The figure's orders from the report's latest build, largest first; PipelineError
    (exit 1) when there is no such build, it has no evidence, or its files disagree."""
    from pipeline_ops.pipeline.evidence import read  # duckdb: loaded when asked, not before

    period, figure = question.period, question.figure
    json_path, evidence_path = _latest_files(period)
    report = _report_json(json_path, period)
    _known(figure, report, period)
    try:
        found = read.evidence(evidence_path, figure)
    except Exception as exc:  # a damaged or foreign file: one line, the way out
        raise PipelineError(f"{evidence_path.name} cannot be read ({type(exc).__name__}):"
                            f" run `{report_command(period)}` again.") from None  # fmt: skip
    at = _checked(found.total, figure, report, period)
    return Answer(question, found.total, found.count, found.rows, at)


def _latest_files(period: Period) -> tuple[Path, Path]:
    """The JSON and evidence of the report's newest kept build (its own hard links, never
    replaced by a rebuild), or of the `Report` row when no build was kept."""
    from pipeline_ops.models import Report

    row = Report.objects.filter(entity__code=period.entity, stem=period.stem).first()
    if row is None:
        raise PipelineError(f"No report {period.stem} has been built: run"
                            f" `{report_command(period)}` first.")  # fmt: skip
    latest = row.builds.first() or row
    evidence = Path(latest.evidence_path) if latest.evidence_path else None
    if evidence is None or not evidence.is_file():
        raise PipelineError(
            f"The latest build of {period.stem} has no evidence (it was built"
            f" before evidence was kept): run `{report_command(period)}`."
        )
    return Path(latest.json_path), evidence


def _report_json(path: Path, period: Period) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        raise PipelineError(f"{path.name} of {period.stem}'s latest build cannot be read:"
                            f" run `{report_command(period)}` again.") from None  # fmt: skip


def _known(figure: Figure, report: dict, period: Period) -> None:
    """A program or month the report does not have is a mistake, not a zero."""
    if figure.month and figure.month not in report["months"]:
        months = ", ".join(str(m) for m in report["months"])
        raise PipelineError(f"month {figure.month} is not in {period.stem} (months {months})")
    codes = [p["code"] for p in report["programs"]]
    if figure.program and figure.program not in codes:
        raise PipelineError(f"program {figure.program!r} is not in {period.stem}"
                            f" (programs: {', '.join(codes) or 'none'})")  # fmt: skip


def _checked(total: int, figure: Figure, report: dict, period: Period) -> str | None:
    shown = {f["id"]: f for f in report.get("figures", [])}.get(figure.id)
    if shown is None:
        return None
    if shown["value"] != total:
        raise PipelineError(
            f"{period.stem}'s files are damaged: its evidence of {figure.id} adds up to"
            f" {total}, the report shows {shown['value']} ({shown['at']}); run"
            f" `{report_command(period)}` again."
        )
    return shown["at"]


def report_command(period: Period) -> str:
    """The `manage.py report` that builds this period's report (the way out of exit 1)."""
    flags = ["--entity", period.entity, "--year", str(period.year)]
    if period.months:
        flags += ["--month", str(period.months)]
    if period.type in ("quarterly", "yearly"):
        flags += ["--type", period.type]
    if period.unit:
        flags += ["--unit", period.unit]
    return " ".join(["manage.py report", *flags])


def as_json(answer: Answer) -> dict:
    """`{"figure", "total", "report", "rows"}`: each row's `amount` is its part of `total`."""
    rows = [{key: _plain(row[key]) for key in (*FIRST, *(k for k in row if k not in FIRST))}
            for row in answer.rows]  # fmt: skip
    figure, stem = answer.question.figure.id, answer.question.period.stem
    return {"figure": figure, "total": answer.total, "report": stem, "rows": rows}


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    return int(value) if isinstance(value, Decimal) else value


def table_lines(answer: Answer) -> list[str]:
    """A short table, largest part first, then the total (and where the report shows it)."""
    amount = rupiah if answer.question.figure.kind in MONEY else str
    cells = [[amount(r[k]) if k == "amount" else _cut(r[k]) for _, k in TABLE]
             for r in answer.rows]  # fmt: skip
    header = [title for title, _ in TABLE]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    lines = ["  ".join(_aligned(line, widths)).rstrip() for line in [header, *cells]]
    if not cells:
        lines = [f"No order makes {answer.question.figure.id} in {answer.question.period.stem}."]
    orders = f"{answer.count} order" + ("" if answer.count == 1 else "s")
    lines.append(f"Total: {amount(answer.total)}  ({orders})")
    if answer.at:
        lines.append(f"Matches the report's {answer.at} ({answer.question.period.stem}.json).")
    return lines


def _aligned(line: list[str], widths: list[int]) -> list[str]:
    pairs = enumerate(zip(line, widths, strict=True))
    return [v.rjust(w) if i == 1 else v.ljust(w) for i, (v, w) in pairs]  # amounts: right


def _cut(value) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= WIDEST else text[: WIDEST - 1] + "…"
