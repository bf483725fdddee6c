"""The demo's orders: students, programs, prices and payments, typed as people type them.

Every value is drawn from one seeded random.Random, so the same entity and year give the
same orders; the workbook writer (workbooks.py) lays them out on month sheets.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random

from openpyxl.cell import WriteOnlyCell

from pipeline_ops.pipeline.demo.data import (
    DEMO_ORGANIZATIONS,
    DEMO_PROGRAMS,
    FIRST_NAMES,
    LAST_NAMES,
    NOTES,
    PAYMENT_METHODS,
    UNLISTED_ORGANIZATIONS,
    DemoProgram,
)

Student = tuple[str, str]  # (canonical name, organization as typed)


def student_pool(rng: random.Random, rows_per_month: int) -> dict[str, list[Student]]:
    """Students by level; most re-enroll every month, so the pool is a bit above a month."""
    size = max(30, round(rows_per_month * 1.3))
    names = _unique_names(rng, size)
    pool: dict[str, list[Student]] = {"SD": [], "SMP": [], "SMA": []}
    for index, name in enumerate(names):
        level = ("SD", "SMP", "SMA", "SMA", "SMP")[index % 5]
        # Every 40th student's organization is missing from REFERENSI (a warning).
        unlisted = index % 40 == 7
        pool[level].append((name, _organization_for(rng, level, unlisted)))
    return pool


def _unique_names(rng: random.Random, size: int) -> list[str]:
    seen: set[str] = set()
    names: list[str] = []
    while len(names) < size:
        parts = [rng.choice(FIRST_NAMES)]
        if rng.random() < 0.35:
            parts.append(rng.choice(FIRST_NAMES))
        if rng.random() < 0.9:
            parts.append(rng.choice(LAST_NAMES))
        name = " ".join(dict.fromkeys(parts))
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _organization_for(rng: random.Random, level: str, unlisted: bool) -> str:
    choices = UNLISTED_ORGANIZATIONS if unlisted else DEMO_ORGANIZATIONS
    fitting = [org.name for org in choices if org.level in ("", level)]
    name = rng.choice(fitting)
    return name + " " if rng.random() < 0.03 else name


class OrderMaker:
    """Builds one month's orders as canonical rows (HEADERS order) plus their money sums."""

    def __init__(self, rng: random.Random, entity: str, year: int, pool: dict) -> None:
        self.rng, self.entity, self.year, self.pool = rng, entity, year, pool
        self.weights = [p.weight for p in DEMO_PROGRAMS]

    def orders(self, ws, month: int, count: int):
        rng = self.rng
        last_day = calendar.monthrange(self.year, month)[1]
        days = sorted(rng.choices(range(1, last_day + 1), k=count))
        programs = rng.choices(DEMO_PROGRAMS, weights=self.weights, k=count)
        prefix = f"INV/{self.entity}/{self.year}/{month:02d}/"
        for seq, (day, program) in enumerate(zip(days, programs, strict=True), start=1):
            date = dt.date(self.year, month, day)
            yield self._order(ws, seq, date, f"{prefix}{seq:05d}", program)

    def _order(self, ws, seq: int, date: dt.date, invoice: str, program: DemoProgram):
        rng = self.rng
        name, org = rng.choice(self.pool[program.level])
        price = _typed_price(rng, program.price)
        discount = _discount(rng, price)
        status, paid = _status_and_paid(rng, price - discount)
        row = [
            seq,
            _typed_date(ws, rng, date),
            invoice,
            _typed_name(rng, name),
            org,
            program.code,
            _typed_unit(rng, program.unit),
            _typed_money(rng, price),
            _typed_money(rng, discount, blank_zero=True),
            _typed_money(rng, paid, blank_zero=True),
            rng.choice(PAYMENT_METHODS) if paid else None,
            _typed_status(rng, status),
            rng.choice(NOTES) if rng.random() < 0.04 else None,
        ]
        return row, (price, discount, paid)


def _typed_price(rng: random.Random, price: int) -> int:
    # An old or promo price now and then: a warning, not an error.
    return price + rng.choice((-100_000, -50_000, 50_000)) if rng.random() < 0.015 else price


def _discount(rng: random.Random, price: int) -> int:
    if rng.random() < 0.78:
        return 0
    return rng.choice((50_000, 100_000, 150_000, price // 10_000 * 1_000, price // 4_000 * 1_000))


def _status_and_paid(rng: random.Random, net: int) -> tuple[str, int]:
    pick = rng.random()
    if pick < 0.72:
        return "LUNAS", net
    if pick < 0.92:
        paid = int(net * rng.choice((0.3, 0.4, 0.5, 0.6))) // 50_000 * 50_000
        return "CICIL", paid if 0 < paid < net else net // 2
    return "BATAL", 0 if rng.random() < 0.8 else min(100_000, net)


def _typed_date(ws, rng: random.Random, date: dt.date):
    pick = rng.random()
    if pick < 0.03:
        return date.strftime("%d/%m/%Y")
    if pick < 0.06:
        return date.strftime("%d-%m-%Y")
    if pick < 0.08:
        return date.isoformat()
    cell = WriteOnlyCell(ws, value=date)
    cell.number_format = "DD/MM/YYYY"
    return cell


_MONEY_TEXT = (
    lambda v: "Rp " + f"{v:,}".replace(",", "."),
    lambda v: f"{v:,}".replace(",", "."),
    lambda v: f"{v:,}",
    lambda v: f"Rp{v}",
)


def _typed_money(rng: random.Random, value: int, *, blank_zero: bool = False):
    if value == 0:
        return None if blank_zero and rng.random() < 0.6 else 0
    return rng.choice(_MONEY_TEXT)(value) if rng.random() < 0.06 else value


def _typed_name(rng: random.Random, name: str) -> str:
    pick = rng.random()
    if pick < 0.88:
        return name
    if pick < 0.93:
        return name.upper()
    if pick < 0.96:
        return name.lower()
    return name.replace(" ", "  ", 1) if pick < 0.98 else name + " "


def _typed_unit(rng: random.Random, unit: str) -> str:
    if rng.random() < 0.01:  # typed the other unit: a warning
        unit = "DR" if unit == "TM" else "TM"
    pick = rng.random()
    return unit if pick < 0.85 else unit.lower() if pick < 0.95 else unit.title()


def _typed_status(rng: random.Random, status: str) -> str:
    pick = rng.random()
    return status if pick < 0.82 else status.title() if pick < 0.94 else status.lower()
