"""A report figure, named: its kind and the filters that narrow it to one cell of a report.

An id reads like a query: `revenue`, `revenue?unit=TM`, `enrollments?program=TM-SD-REG`,
`collected?month=3`, `revenue?day=2026-03-14`, `orders?status=BATAL`. The report JSON names
each figure it shows by its id; the evidence page takes the same id as its query string
(`?figure=revenue&unit=TM`) and `manage.py explain` builds one from its flags. Each kind has
one definition here: which orders make it and what each contributes (the column of
mart_order_evidence, whose sums are the marts').
No Django here: the report stage, the command and the views all import it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from urllib.parse import parse_qsl, urlencode

# kind → (the order's part of it: a mart_order_evidence column, which orders make it)
KINDS = {
    "revenue": ("revenue", "NOT is_cancelled AND revenue <> 0"),
    "collected": ("collected", "NOT is_cancelled AND collected <> 0"),
    "outstanding": ("outstanding", "NOT is_cancelled AND outstanding <> 0"),
    "orders": ("1", "true"),
    "enrollments": ("enrollments", "NOT is_cancelled"),
}
MONEY = ("revenue", "collected", "outstanding")
# The cell that holds an order's part of the figure (counts: the invoice's cell).
CELL = {"revenue": "price_cell", "collected": "paid_cell", "outstanding": "paid_cell"}
# A program code or unit is a bound SQL value, never spliced: any printable text will do.
_CODE = re.compile(r"[^\x00-\x1f\x7f-\x9f]{1,100}")
STATUSES = ("LUNAS", "CICIL", "BATAL")  # workbook/cells.py parse_status


@dataclass(frozen=True)
class Figure:
    kind: str
    unit: str | None = None
    program: str | None = None
    month: int | None = None
    day: date | None = None
    status: str | None = None

    @property
    def id(self) -> str:
        query = self.query()
        return f"{self.kind}?{query}" if query else self.kind

    def query(self) -> str:
        """The filters as a query string (without the kind), in a fixed order."""
        pairs = [(f.name, getattr(self, f.name)) for f in fields(self)[1:]]
        return urlencode([(name, str(value)) for name, value in pairs if value is not None])

    def where(self) -> tuple[str, list]:
        """SQL over mart_order_evidence's columns (a report's evidence file): this figure's rows."""
        clauses, params = [KINDS[self.kind][1]], []
        for column, value in (("unit", self.unit), ("program_code", self.program),
                              ("month", self.month), ("order_date", self.day),
                              ("status", self.status)):  # fmt: skip
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        return " AND ".join(clauses), params

    @property
    def amount(self) -> str:
        return KINDS[self.kind][0]

    @property
    def cell(self) -> str:
        return CELL.get(self.kind, "invoice_cell")

    def but(self, **changes) -> Figure:
        return replace(self, **changes)


def parse(kind: str, filters: Mapping[str, str | None] | None = None) -> Figure:
    """A Figure from an id's or a request's parts; ValueError names what is wrong."""
    if kind not in KINDS:
        raise ValueError(f"unknown figure {kind!r}: one of {', '.join(KINDS)}")
    values = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    unknown = set(values) - {f.name for f in fields(Figure)[1:]}
    if unknown:
        raise ValueError(f"unknown figure filter(s): {', '.join(sorted(unknown))}")
    return Figure(kind, **{name: _typed(name, str(value)) for name, value in values.items()})


def parse_id(figure_id: str) -> Figure:
    kind, _, query = figure_id.partition("?")
    return parse(kind, dict(parse_qsl(query, keep_blank_values=True)))


def _typed(name: str, value: str):
    if name == "month":
        if not value.isdigit() or not 1 <= int(value) <= 12:
            raise ValueError(f"month {value!r} is not 1-12")
        return int(value)
    if name == "day":
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"day {value!r} is not a date (YYYY-MM-DD)") from None
    if name == "status":
        if value.upper() not in STATUSES:
            raise ValueError(f"status {value!r} is not one of {', '.join(STATUSES)}")
        return value.upper()
    if not _CODE.fullmatch(value):
        raise ValueError(f"{name} {value[:100]!r} is not a code")
    return value.upper() if name == "unit" else value


def figure_list(report: dict) -> list[dict]:
    """Every figure the report shows that orders make, for the JSON's `figures`: its id (ask
    for its evidence with it), its value, and where in the JSON it is (`at`)."""
    revenue, found = report["revenue"], []

    def add(figure: Figure, at: str, value: int) -> None:
        found.append({"id": figure.id, "figure": figure.kind, "value": value, "at": at})

    for field, kind in (("actual", "revenue"), ("collected", "collected"),
                        ("outstanding", "outstanding")):  # fmt: skip
        add(Figure(kind), f"revenue.{field}", revenue[field])
        for i, row in enumerate(revenue["by_month"]):
            add(Figure(kind, month=row["month"]), f"revenue.by_month[{i}].{field}", row[field])
    for i, row in enumerate(revenue["by_unit"]):
        add(Figure("revenue", unit=row["unit"]), f"revenue.by_unit[{i}].actual", row["actual"])
    for i, row in enumerate(revenue.get("by_day", [])):
        day = Figure("revenue", day=date.fromisoformat(row["date"]))
        add(day, f"revenue.by_day[{i}].actual", row["actual"])
    for i, row in enumerate(report["programs"]):
        for kind in ("enrollments", "revenue"):
            add(Figure(kind, program=row["code"]), f"programs[{i}].{kind}", row[kind])
    add(Figure("orders"), "orders.total", report["orders"]["total"])
    add(Figure("orders", status="BATAL"), "orders.cancelled", report["orders"]["cancelled"])
    return found
