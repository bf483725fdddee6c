"""Report numbers (DESIGN §7) checked key by key against plain-Python sums of the order rows.

`expected_report` never touches the warehouse or the report code: it recomputes each
number from the hand-built rows, so a wrong join or filter in the report SQL shows up.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
from django.core.management import CommandError, call_command

from pipeline_ops.models import PipelineRun, Report
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.period import MonthRange, PeriodError, previous_period, resolve_period
from pipeline_ops.pipeline.stages.report import run_format, run_report
from tests.warehouse_fixtures import insert_raw_rows, manage

pytestmark = pytest.mark.django_db

# ---- hand-built rows ------------------------------------------------------------------
# Two years (Oct–Dec 2025, Jan–Apr 2026) so previous periods can cross the year boundary.
# The shared `warehouse` fixture holds one year only; it is used by the tests further down.

PROGRAMS = {  # code: (name, unit, price, Target Siswa)
    "TM-SD-REG": ("Reguler SD", "TM", 1_500_000, 3),
    "TM-SMP-INT": ("Intensif SMP", "TM", 2_250_000, 2),
    "DR-SMA-ONL": ("Online SMA", "DR", 900_000, 4),
}
LOADED = {(2025, 10), (2025, 11), (2025, 12), (2026, 1), (2026, 2), (2026, 3), (2026, 4)}
TARGETS = {  # (year, month, unit): Target Pendapatan — every month, loaded or not
    (y, m, u): (4_000_000 + m * 150_000 if u == "TM" else 1_750_000)
    for y in (2025, 2026)
    for m in range(1, 13)
    for u in ("TM", "DR")
}
STUDENTS = ["Budi Santoso", "Siti Aminah", "BUDI SANTOSO", "Andi  Wijaya", "Dewi Lestari",
            "Rina Kartika", "Agus Salim", "Maya Sari", "Joko Susilo"]  # fmt: skip
ORGANIZATIONS = ["SD Harapan", "SMP Nusantara", "Bimbel Cerdas", "", "SMA Tunas", "SD Pelita",
                 "Yayasan Bakti", "SMP Bina", "Les Privat Ani", "SD Mawar", "Kursus Prima",
                 "SMA Cendekia", "SD Melati"]  # fmt: skip


def _order(year: int, month: int, i: int) -> dict:
    code = list(PROGRAMS)[(i + month + year) % 3]
    _name, unit, price, _target = PROGRAMS[code]
    discount = (0, 100_000, 250_000)[i % 3]
    status = "BATAL" if i == 6 else "CICIL" if i in (3, 7) else "LUNAS"
    paid = (price - discount) // (2 if status == "CICIL" else 1)
    if status == "BATAL":  # cancelled; in odd months the order kept a deposit
        paid = (price - discount) // 4 if month % 2 else 0
    return {
        "year": year, "month": month, "day": 1 + i * 3, "invoice": f"INV-{year}{month:02d}-{i}",
        "student": STUDENTS[(i * 2 + month) % len(STUDENTS)],
        "org": ORGANIZATIONS[(i * 5 + month * 3) % len(ORGANIZATIONS)], "program": code,
        "unit": "DR" if i == 5 else unit,  # one order a month taken online
        "price": price, "discount": discount, "paid": paid,
        "status": status,
    }  # fmt: skip


ORDERS = [_order(y, m, i) for y, m in sorted(LOADED) for i in range(6 + (y + m) % 3)]
# April 2026's TM target makes the month's achievement exactly 156.25 % before rounding,
# a half: rounded half-up it is 156.3, half-even would give 156.2.
HALF = (2026, 4)
_half_revenue = sum(
    o["price"] - o["discount"]
    for o in ORDERS
    if (o["year"], o["month"]) == HALF and o["status"] != "BATAL"
)
TARGETS[(*HALF, "TM")] = _half_revenue * 16 // 25 - TARGETS[(*HALF, "DR")]


def _raw_orders(year: int) -> list[dict]:
    """ORDERS in the shape `insert_raw_rows` (and so `load`) writes them."""
    return [
        {"month": o["month"], "order_date": date(o["year"], o["month"], o["day"]),
         "invoice": o["invoice"], "student_name": " ".join(o["student"].split()),
         "organization": o["org"] or None, "program_code": o["program"], "unit": o["unit"],
         "price": o["price"], "discount": o["discount"], "paid": o["paid"],
         "payment_method": "Transfer", "status": o["status"]}
        for o in ORDERS if o["year"] == year
    ]  # fmt: skip


def _build_once(factory: pytest.TempPathFactory) -> Path:
    """Raw rows for 2025 and 2026, then a real `transform` (dbt) of each, in a subprocess."""
    global _BUILT
    if _BUILT is None:
        root = factory.mktemp("report-warehouse")
        manage(root, "migrate", "--noinput", "-v", "0", private_db=True)
        manage(root, "seed", "--entity", "IONS", private_db=True)
        programs = [{"program_code": c, "program_name": n, "unit": u, "price": p,
                     "target_students": t} for c, (n, u, p, t) in PROGRAMS.items()]  # fmt: skip
        with duckdb.connect(str(root / "warehouse.duckdb")) as con:
            for year in (2025, 2026):
                targets = [{"month": m, "unit": u, "revenue_target": amount}
                           for (y, m, u), amount in TARGETS.items() if y == year]  # fmt: skip
                insert_raw_rows(con, year=year, orders=_raw_orders(year), programs=programs,
                                targets=targets)  # fmt: skip
        for year in (2025, 2026):  # a build covers one entity-year (scoped builds)
            manage(root, "transform", "--entity", "IONS", "--year", str(year), private_db=True)
        _BUILT = root / "warehouse.duckdb"
    return _BUILT


_BUILT: Path | None = None


@pytest.fixture
def warehouse_data(entity, data_dir, tmp_path_factory):
    """A private copy of the two-year warehouse built once per session by real dbt."""
    shutil.copyfile(_build_once(tmp_path_factory), data_dir / "warehouse.duckdb")
    return entity


def half_up(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def percentage(part: int | None, whole: int | None) -> float | None:
    if part is None or not whole:
        return None
    return half_up(Decimal(part) * 100 / Decimal(whole))


def months_before(year: int, first: int, count: int) -> list[tuple[int, int]]:
    result, y, m = [], year, first
    for _ in range(count):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        result.append((y, m))
    return sorted(result)


def live(orders):
    return [o for o in orders if o["status"] != "BATAL"]


def net(order) -> int:
    return order["price"] - order["discount"]


@dataclass
class Rows:
    """Hand-built rows and the plain-Python sums a report of them must show."""

    orders: list[dict]
    programs: dict[str, tuple]
    targets: dict[tuple[int, int, str], int]
    loaded: set[tuple[int, int]]

    def in_period(self, period):
        return [o for o in self.orders if (o["year"], o["month"]) in period]

    def revenue_of(self, period, unit=None) -> int:
        return sum(net(o) for o in live(self.in_period(period)) if unit in (None, o["unit"]))

    def previous_of(self, previous, unit=None) -> int | None:
        """None when any month of the previous period was never loaded."""
        return self.revenue_of(previous, unit) if set(previous) <= self.loaded else None

    def target_of(self, period, unit=None) -> int:
        return sum(
            amount
            for (y, m, u), amount in self.targets.items()
            if (y, m) in period and (y, m) in self.loaded and unit in (None, u)
        )

    def expected_report(
        self, year: int, months: list[int], previous: list[tuple[int, int]]
    ) -> dict:
        period = [(year, m) for m in months]
        orders = self.in_period(period)
        actual = self.revenue_of(period)
        collected = sum(o["paid"] for o in live(orders))
        prev = self.previous_of(previous)
        units = sorted(
            {o["unit"] for o in orders} | {u for (y, m, u) in self.targets if (y, m) in period}
        )
        return {
            "actual": actual,
            "target": self.target_of(period),
            "achievement_pct": percentage(actual, self.target_of(period)),
            "previous": prev,
            "change_pct": None if prev is None else percentage(actual - prev, prev),
            "collected": collected,
            "outstanding": actual - collected,
            "by_unit": {u: self.expected_unit(period, previous, u) for u in units},
            "by_month": [self.expected_month(year, m) for m in months],
            "programs": self.expected_programs(period),
            "orders": {"total": len(orders), "cancelled": len(orders) - len(live(orders))},
            "top_organizations": self.expected_organizations(orders),
        }

    def expected_month(self, year: int, month: int) -> dict:
        actual = self.revenue_of([(year, month)])
        collected = sum(o["paid"] for o in live(self.in_period([(year, month)])))
        return {"month": month, "actual": actual, "target": self.target_of([(year, month)]),
                "collected": collected, "outstanding": actual - collected}  # fmt: skip

    def expected_unit(self, period, previous, unit) -> dict:
        actual, target = self.revenue_of(period, unit), self.target_of(period, unit)
        prev = self.previous_of(previous, unit)
        return {
            "unit": unit,
            "actual": actual,
            "target": target,
            "achievement_pct": percentage(actual, target),
            "previous": prev,
            "change_pct": None if prev is None else percentage(actual - prev, prev),
        }

    def expected_programs(self, period) -> dict:
        loaded_months = len([p for p in period if p in self.loaded])
        result = {}
        for code, (name, unit, _price, target_students) in self.programs.items():
            enrolled = [o for o in live(self.in_period(period)) if o["program"] == code]
            target = target_students * loaded_months
            result[code] = {
                "code": code,
                "name": name,
                "unit": unit,
                "enrollments": len(enrolled),
                "target": target,
                "achievement_pct": percentage(len(enrolled), target),
                "revenue": sum(net(o) for o in enrolled),
            }
        return result

    @staticmethod
    def expected_organizations(orders) -> list[dict]:
        students: dict[str, set] = {}
        revenue: dict[str, int] = {}
        for o in live(orders):
            name = o["org"] or "(no organization)"
            students.setdefault(name, set()).add(" ".join(o["student"].split()).casefold())
            revenue[name] = revenue.get(name, 0) + net(o)
        ranked = sorted(revenue, key=lambda n: (-revenue[n], n))[:10]
        return [{"name": n, "students": len(students[n]), "revenue": revenue[n]} for n in ranked]


HAND = Rows(ORDERS, PROGRAMS, TARGETS, LOADED)


def formatted(year: int, months: MonthRange | None, report_type: str) -> dict:
    run_format("IONS", year, months, report_type=report_type, force=True)
    path = resolve_period("IONS", year, months, report_type).path(".json")
    return json.loads(path.read_text())


def assert_matches(report: dict, expected: dict) -> None:
    revenue = report["revenue"]
    for key in ("actual", "target", "achievement_pct", "previous", "change_pct"):
        assert revenue[key] == expected[key], key
    assert revenue["collected"] == expected["collected"]
    assert revenue["outstanding"] == expected["outstanding"]
    assert {u["unit"]: u for u in revenue["by_unit"]} == expected["by_unit"]
    assert revenue["by_month"] == expected["by_month"]
    assert {p["code"]: p for p in report["programs"]} == expected["programs"]
    assert report["orders"] == expected["orders"]
    assert report["top_organizations"] == expected["top_organizations"]


def test_a_monthly_report_matches_sums_of_the_order_rows(warehouse_data):
    report = formatted(2026, MonthRange(2, 2), "monthly")
    assert (report["type"], report["label"], report["months"]) == ("monthly", "2026-02", [2])
    assert_matches(report, HAND.expected_report(2026, [2], [(2026, 1)]))
    assert report["revenue"]["previous"] is not None


def test_cancelled_orders_that_kept_a_deposit_are_not_collected(warehouse_data):
    deposits = [o for o in HAND.in_period([(2026, 1)]) if o["status"] == "BATAL" and o["paid"]]
    assert deposits, "the hand-built rows must hold a BATAL order that kept a deposit"
    report = formatted(2026, MonthRange(1, 1), "monthly")
    live_paid = sum(o["paid"] for o in live(HAND.in_period([(2026, 1)])))
    assert report["revenue"]["collected"] == live_paid
    assert report["revenue"]["outstanding"] == HAND.revenue_of([(2026, 1)]) - live_paid


def test_a_percentage_exactly_on_a_half_rounds_half_up(warehouse_data):
    revenue, target = HAND.revenue_of([HALF]), HAND.target_of([HALF])
    exact = Decimal(revenue) * 100 / Decimal(target)
    assert exact % Decimal("0.1") == Decimal("0.05"), exact  # the rows do land on a half
    assert half_up(exact) != float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))
    year, month = HALF
    report = formatted(year, MonthRange(month, month), "monthly")
    assert report["revenue"]["achievement_pct"] == half_up(exact)


def test_january_compares_with_the_previous_december(warehouse_data):
    report = formatted(2026, MonthRange(1, 1), "monthly")
    assert_matches(report, HAND.expected_report(2026, [1], [(2025, 12)]))
    assert report["revenue"]["previous"] == HAND.revenue_of([(2025, 12)]) > 0


def test_a_quarter_compares_with_the_previous_quarter_across_the_year(warehouse_data):
    report = formatted(2026, MonthRange(1, 3), "quarterly")
    assert (report["type"], report["label"], report["months"]) == ("quarterly", "Q1", [1, 2, 3])
    previous = months_before(2026, 1, 3)
    assert previous == [(2025, 10), (2025, 11), (2025, 12)]
    assert_matches(report, HAND.expected_report(2026, [1, 2, 3], previous))


def test_a_range_that_is_not_a_quarter_is_labelled_range(warehouse_data):
    report = formatted(2026, MonthRange(2, 4), "monthly")
    assert (report["type"], report["label"], report["months"]) == ("range", "range", [2, 3, 4])
    assert_matches(report, HAND.expected_report(2026, [2, 3, 4], months_before(2026, 2, 3)))
    assert resolve_period("IONS", 2026, MonthRange(2, 4), "monthly").stem == "IONS-2026-M02-M04"


def test_a_yearly_report_covers_the_loaded_months(warehouse_data):
    report = formatted(2026, None, "yearly")
    loaded = sorted(m for y, m in LOADED if y == 2026)
    assert (report["type"], report["label"], report["months"]) == ("yearly", "2026", loaded)
    # The same months of 2025 were never loaded, so there is nothing to compare with.
    assert_matches(report, HAND.expected_report(2026, loaded, [(2025, m) for m in loaded]))
    assert report["revenue"]["previous"] is None and report["revenue"]["change_pct"] is None
    assert len(report["top_organizations"]) == 10


def test_previous_is_null_when_that_month_was_never_loaded(warehouse_data):
    first = min(LOADED)
    report = formatted(first[0], MonthRange(first[1], first[1]), "monthly")
    assert report["revenue"]["previous"] is None
    assert all(u["previous"] is None for u in report["revenue"]["by_unit"])


def test_a_partly_loaded_period_warns_and_counts_missing_months_as_zero(warehouse_data):
    report = formatted(2026, MonthRange(4, 6), "quarterly")
    assert report["label"] == "Q2"
    assert any("2026-05, 2026-06" in w for w in report["warnings"])
    assert_matches(report, HAND.expected_report(2026, [4, 5, 6], [(2026, 1), (2026, 2), (2026, 3)]))


def test_a_period_with_nothing_loaded_fails_with_a_hint(warehouse_data):
    with pytest.raises(PipelineError, match="No data loaded for IONS 2026 month 9"):
        run_format("IONS", 2026, MonthRange(9, 9), force=True)
    assert PipelineRun.objects.get(stage="format").status == "failed"


def test_the_json_has_every_contract_key(warehouse_data):
    report = formatted(2026, MonthRange(2, 2), "monthly")
    top = {"entity", "year", "type", "label", "months", "generated_at", "warnings", "revenue"}
    assert top | {"programs", "orders", "top_organizations"} <= set(report)
    assert {"actual", "target", "achievement_pct", "previous", "change_pct", "collected",
            "outstanding", "by_unit", "by_month"} <= set(report["revenue"])  # fmt: skip
    assert all(isinstance(report["revenue"][k], int) for k in ("actual", "target", "collected"))
    assert isinstance(report["revenue"]["achievement_pct"], float)


@pytest.mark.parametrize(
    ("months", "kind", "stem", "label"),
    [
        (MonthRange(2, 2), "monthly", "IONS-2026-02", "2026-02"),
        (MonthRange(1, 3), "quarterly", "IONS-2026-Q1", "Q1"),
        (MonthRange(10, 12), "monthly", "IONS-2026-Q4", "Q4"),
        (MonthRange(2, 4), "quarterly", "IONS-2026-M02-M04", "range"),
        (None, "yearly", "IONS-2026", "2026"),
    ],
)
def test_periods_name_their_files(months, kind, stem, label):
    period = resolve_period("IONS", 2026, months, kind)
    assert (period.stem, period.label) == (stem, label)


@pytest.mark.parametrize(
    ("months", "kind"),
    [(MonthRange(2, 2), "quarterly"), (None, "monthly"), (MonthRange(1, 3), "yearly")],
)
def test_flags_that_name_no_period_are_rejected(months, kind):
    with pytest.raises(PeriodError):
        resolve_period("IONS", 2026, months, kind)


def test_previous_period_steps_back_across_the_year():
    assert previous_period(2026, [1], "monthly") == [(2025, 12)]
    assert previous_period(2026, [2, 3, 4], "range") == [(2025, 11), (2025, 12), (2026, 1)]
    assert previous_period(2026, [1, 2], "yearly") == [(2025, 1), (2025, 2)]


def test_run_report_writes_three_files_and_records_a_report(warehouse_data):
    run = run_report("IONS", 2026, MonthRange(1, 3), report_type="quarterly", force=True)
    record = Report.objects.get()
    assert (record.type, record.label, record.month_start, record.month_end) == (
        "quarterly", "Q1", 1, 3)  # fmt: skip
    assert record.run == run and run.status == "success"
    for path in (record.json_path, record.html_path, record.xlsx_path):
        assert path.endswith(("IONS-2026-Q1.json", ".html", ".xlsx"))
        assert Path(path).stat().st_size > 100
    stages = set(PipelineRun.objects.filter(parent=run).values_list("stage", flat=True))
    assert stages == {"format", "present"}


def test_rerunning_a_report_keeps_one_record_per_file(warehouse_data):
    run_report("IONS", 2026, MonthRange(2, 2), force=True)
    run_report("IONS", 2026, MonthRange(2, 2), force=True)
    assert Report.objects.count() == 1


def test_a_chained_monthly_report_without_months_covers_the_latest_loaded_month(
    warehouse_data,
):
    run_report("IONS", 2026, None, force=True)
    latest = max(m for y, m in LOADED if y == 2026)
    assert Report.objects.get().label == f"2026-{latest:02d}"


def test_the_report_command_prints_the_paths_it_wrote(warehouse_data, capsys):
    call_command("report", "--entity", "ions", "--year", "2026", "--month", "2", "--force")
    out = capsys.readouterr().out
    assert "IONS-2026-02.json" in out and "IONS-2026-02.html" in out and ".xlsx" in out


def test_format_and_present_commands_run_the_stages_alone(warehouse_data, data_dir):
    call_command("format", "--entity", "IONS", "--year", "2026", "--type", "yearly", "--force")
    assert (data_dir / "reports/IONS/IONS-2026.json").exists()
    assert not (data_dir / "reports/IONS/IONS-2026.html").exists()
    call_command("present", "--entity", "IONS", "--year", "2026", "--type", "yearly")
    assert (data_dir / "reports/IONS/IONS-2026.html").exists()


def test_quarterly_without_a_range_exits_2(warehouse_data):
    with pytest.raises(CommandError) as info:
        call_command("report", "--entity", "IONS", "--year", "2026", "--type", "quarterly",
                     "--month", "2")  # fmt: skip
    assert info.value.returncode == 2 and "month range" in str(info.value)


def test_present_without_a_json_fails_with_exit_1(warehouse_data):
    with pytest.raises(CommandError) as info:
        call_command("present", "--entity", "IONS", "--year", "2026", "--month", "7")
    assert info.value.returncode == 1 and "run `manage.py format` first" in str(info.value)


# ---- the shared warehouse (standard hand-built rows, one year, built by real dbt) ---------


def shared_rows(built) -> Rows:
    programs = {p["program_code"]: (p["program_name"], p["unit"], p["price"],
                p["target_students"]) for p in built.programs}  # fmt: skip
    orders = [
        {"year": built.year, "month": o["month"], "invoice": o["invoice"],
         "student": o["student_name"], "org": o["organization"] or "",
         "program": o["program_code"], "unit": o["unit"] or programs[o["program_code"]][1],
         "price": o["price"], "discount": o["discount"], "paid": o["paid"],
         "status": o["status"]}
        for o in built.orders
    ]  # fmt: skip
    targets = {(built.year, t["month"], t["unit"]): t["revenue_target"] for t in built.targets}
    loaded = {(o["year"], o["month"]) for o in orders}
    return Rows(orders, programs, targets, loaded)


def test_the_shared_warehouse_monthly_report_matches_its_rows(warehouse, built_warehouse):
    rows = shared_rows(built_warehouse)
    report = formatted(built_warehouse.year, MonthRange(2, 2), "monthly")
    assert_matches(report, rows.expected_report(built_warehouse.year, [2], [(2026, 1)]))
    assert report["revenue"]["previous"] == rows.revenue_of([(2026, 1)])


def test_the_shared_warehouse_quarter_and_year_match_their_rows(warehouse, built_warehouse):
    rows, year = shared_rows(built_warehouse), built_warehouse.year
    quarter = formatted(year, MonthRange(1, 3), "quarterly")
    assert_matches(quarter, rows.expected_report(year, [1, 2, 3], months_before(year, 1, 3)))
    assert quarter["revenue"]["previous"] is None  # the prior year was never loaded
    yearly = formatted(year, None, "yearly")
    loaded = sorted(m for _, m in rows.loaded)
    assert yearly["months"] == loaded
    assert_matches(yearly, rows.expected_report(year, loaded, [(year - 1, m) for m in loaded]))


# ---- real subprocesses: exit codes and stderr as an operator sees them -------------------


@pytest.fixture
def installation(warehouse_data, data_dir) -> Path:
    """This test's data dir holding the two-year warehouse, for `manage.py` subprocesses on
    the test database (so its tests are transactional: the subprocess must see IONS)."""
    return data_dir


@pytest.mark.django_db(transaction=True)
def test_report_in_a_subprocess_writes_the_files_and_exits_0(installation):
    proc = manage(installation, "report", "--entity", "ions", "--year", "2026", "--month",
                  "1-3", "--type", "quarterly")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    for suffix in ("json", "html", "xlsx"):
        assert (installation / f"reports/IONS/IONS-2026-Q1.{suffix}").exists()
        assert f"IONS-2026-Q1.{suffix}" in proc.stdout
    assert Report.objects.get().label == "Q1"  # recorded on the test database


@pytest.mark.django_db(transaction=True)
def test_report_in_a_subprocess_rejects_a_quarter_without_a_range_with_exit_2(installation):
    proc = manage(installation, "report", "--entity", "IONS", "--year", "2026", "--type",
                  "quarterly", "--month", "2", check=False)  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "manage.py report: error: --type quarterly needs a month range such as --month 1-3"
    ]


@pytest.mark.django_db(transaction=True)
def test_format_in_a_subprocess_fails_with_exit_1_when_nothing_is_loaded(installation):
    proc = manage(installation, "format", "--entity", "IONS", "--year", "2026", "--month", "9",
                  check=False)  # fmt: skip
    assert proc.returncode == 1
    assert "No data loaded for IONS 2026 month 9" in proc.stderr
    assert "Traceback" not in proc.stderr
