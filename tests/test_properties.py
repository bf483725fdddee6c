"""Property tests: random valid workbooks from the contract (DESIGN §4), written untidily
(text money, text dates, odd case and spacing), read back and summed. Every workbook holds
a cancelled (BATAL) order that kept a deposit, which revenue and collected leave out.

- load: raw_orders holds exactly the values the generator meant (25 examples, no dbt);
- sync: mart_revenue_monthly equals totals computed here in plain Python (a few examples;
  each runs dbt). Every example uses its own year, so examples never see each other's rows.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.warehouse import connect
from pipeline_ops.pipeline.stages.extract import run_extract
from pipeline_ops.pipeline.stages.load import run_load
from pipeline_ops.pipeline.stages.sync import run_sync
from tests.workbooks import build_workbook, order

pytestmark = pytest.mark.django_db
YEARS = itertools.count(2001)  # a fresh entity-year per example
SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}
STUDENTS = ["Budi Santoso", "Siti Aminah", "Ani Lestari", "Zoë Ñúñez", "محمد"]


@st.composite
def programs(draw) -> list[dict]:
    units = draw(st.lists(st.sampled_from(["TM", "DR"]), min_size=1, max_size=4))
    return [
        {
            "code": f"{unit}-P{i}",
            "name": f"Program {i}",
            "unit": unit,
            "price": draw(st.integers(1, 5_000)) * 1_000,
            "target": draw(st.integers(0, 20)),
        }
        for i, unit in enumerate(units)
    ]


def money_text(draw, amount: int):
    """An amount as a person might type it."""
    dotted = f"{amount:,}".replace(",", ".")
    forms = [amount, f"Rp {dotted}", dotted, f"{amount:,}", f"Rp{amount}", f" {amount} "]
    return draw(st.sampled_from(forms))


def date_text(draw, day: dt.date):
    forms = [
        dt.datetime(day.year, day.month, day.day),
        day.strftime("%d/%m/%Y"),
        day.strftime("%d-%m-%Y"),
        day.isoformat(),
        f"{day.day}/{day.month}/{day.year}",
    ]
    return draw(st.sampled_from(forms))


def untidy(draw, text: str) -> str:
    """Codes, units and statuses in any case, with stray spaces around."""
    cased = draw(st.sampled_from([text, text.lower(), text.upper(), text.title()]))
    return draw(st.sampled_from(["", " ", "  "])) + cased + draw(st.sampled_from(["", " "]))


def spaced(draw, name: str) -> str:
    """Names keep their case but collect stray spaces, inside too."""
    inner = draw(st.sampled_from([" ", "  ", " \u00a0"]))
    return (
        draw(st.sampled_from(["", " "]))
        + name.replace(" ", inner)
        + draw(st.sampled_from(["", "  "]))
    )


@st.composite
def one_order(
    draw, year: int, month: int, number: int, program: dict, *, deposit: bool = False
) -> tuple[dict, dict]:
    """(what the generator means, what goes into the cells). A cancelled (BATAL) order may
    have kept a deposit; with `deposit` the order is one such, for certain."""
    day = dt.date(year, month, draw(st.integers(1, 28)))
    price = program["price"]
    discount = draw(st.sampled_from([0, 0, price // 10, price // 2]))
    net = price - discount
    status = "BATAL" if deposit else draw(st.sampled_from(["LUNAS", "CICIL", "BATAL"]))
    kept = draw(st.integers(1 if deposit else 0, net))
    paid = {"LUNAS": net, "CICIL": draw(st.integers(0, net)), "BATAL": kept}[status]
    meant = {"date": day, "invoice": f"INV-{month:02d}-{number:03d}", "program": program["code"],
             "unit": program["unit"], "price": price, "discount": discount, "paid": paid,
             "status": status, "student": draw(st.sampled_from(STUDENTS))}  # fmt: skip
    cells = order(
        date=date_text(draw, day), invoice=meant["invoice"], student=spaced(draw, meant["student"]),
        program=untidy(draw, program["code"]), unit=untidy(draw, program["unit"]),
        price=money_text(draw, price), paid=money_text(draw, paid), status=untidy(draw, status),
        discount=draw(st.sampled_from([None, 0])) if discount == 0 else money_text(draw, discount),
    )  # fmt: skip
    return meant, cells


@st.composite
def workbooks(draw) -> tuple[int, list[dict], dict, dict]:
    year = next(YEARS)
    progs = draw(programs())
    months = draw(st.sets(st.integers(1, 12), min_size=1, max_size=3))
    meant: list[dict] = []
    cells: dict[int, list[dict]] = {}
    for month in sorted(months):
        count = draw(st.integers(1, 6))
        pairs = [
            draw(one_order(year, month, i, draw(st.sampled_from(progs)))) for i in range(count)
        ]
        if month == min(months):  # every workbook has a cancelled order that kept a deposit
            pairs.append(draw(one_order(year, month, count, progs[0], deposit=True)))
        meant += [{**m, "month": month} for m, _c in pairs]
        cells[month] = [c for _m, c in pairs]
    return year, progs, cells, meant


def write(data_dir: Path, year: int, progs: list[dict], cells: dict[int, list]) -> None:
    path = data_dir / "sources" / "IONS" / f"IONS-{year}.xlsx"
    build_workbook(path, months=cells, programs=progs, title_rows=[[f"IONS {year}"], []])


def fetch(sql: str, params: list) -> list[tuple]:
    with pipeline_lock(), connect() as con:
        return con.execute(sql, params).fetchall()


@settings(max_examples=25, **SETTINGS)
@given(book=workbooks())
def test_load_types_every_untidy_value_as_the_contract_says(book, entity, data_dir):
    year, progs, cells, meant = book
    write(data_dir, year, progs, cells)

    run_extract("IONS", year)
    run_load("IONS", year)

    rows = fetch(
        "SELECT month, order_date, invoice, student_name, program_code, unit, price, discount,"
        " paid, status FROM raw_orders WHERE entity = 'IONS' AND year = ? ORDER BY month, invoice",
        [year],
    )
    expected = sorted(
        (m["month"], m["date"], m["invoice"], m["student"], m["program"], m["unit"], m["price"],
         m["discount"], m["paid"], m["status"])
        for m in meant
    )  # fmt: skip
    assert rows == sorted(expected, key=lambda e: (e[0], e[2]))


def python_totals(meant: list[dict]) -> dict[tuple[int, str], tuple[int, int, int, int]]:
    totals: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for m in meant:
        t = totals[(m["month"], m["unit"])]
        if m["status"] != "BATAL":
            t[0] += m["price"] - m["discount"]
            t[1] += m["paid"]
        t[2] += 1
        t[3] += m["status"] == "BATAL"
    return {k: tuple(v) for k, v in totals.items()}


@settings(max_examples=3, **SETTINGS)
@given(book=workbooks())
def test_sync_revenue_marts_equal_a_plain_python_sum(book, entity, data_dir):
    year, progs, cells, meant = book
    write(data_dir, year, progs, cells)

    assert run_sync("IONS", year).status == "success"

    rows = fetch(
        "SELECT month, unit, revenue, collected, orders, cancelled FROM mart_revenue_monthly"
        " WHERE entity = 'IONS' AND year = ? AND orders > 0",
        [year],
    )
    assert {(m, u): tuple(rest) for m, u, *rest in rows} == python_totals(meant)
