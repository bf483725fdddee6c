"""Report numbers (DESIGN §7) checked key by key against plain-Python sums of the order rows.

`expected_report` never touches the warehouse or the report code: it recomputes each
number from the hand-built rows, so a wrong join or filter in the report SQL shows up.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from pipeline_ops.models import PipelineRun, Report
from pipeline_ops.pipeline.cli import MonthRange
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.locking import pipeline_lock
from pipeline_ops.pipeline.report import (
    PeriodError,
    previous_period,
    resolve_period,
    run_format,
    run_report,
)
from pipeline_ops.pipeline.schema import ensure_raw_tables
from pipeline_ops.pipeline.warehouse import connect

pytestmark = pytest.mark.django_db

# ---- hand-built rows ------------------------------------------------------------------
# Until the shared synced-warehouse fixture exists, these rows are written straight into the
# documented tables (docs/warehouse.md); the marts are derived with the dbt models' rules.

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
    return {
        "year": year, "month": month, "day": 1 + i * 3, "invoice": f"INV-{year}{month:02d}-{i}",
        "student": STUDENTS[(i * 2 + month) % len(STUDENTS)],
        "org": ORGANIZATIONS[(i * 5 + month * 3) % len(ORGANIZATIONS)], "program": code,
        "unit": "DR" if i == 5 else unit,  # one order a month taken online
        "price": price, "discount": discount, "paid": 0 if status == "BATAL" else paid,
        "status": status,
    }  # fmt: skip


ORDERS = [_order(y, m, i) for y, m in sorted(LOADED) for i in range(6 + (y + m) % 3)]

MART_SQL = """
CREATE OR REPLACE TABLE int_orders AS SELECT o.*, p.program_name,
    o.price - o.discount AS net_amount, o.status = 'BATAL' AS is_cancelled
    FROM raw_orders o LEFT JOIN raw_programs p USING (entity, year, program_code);
CREATE OR REPLACE TABLE int_enrollments AS SELECT entity, year, month, invoice, order_date,
    student_name, student_key, organization, program_code, program_name, unit, net_amount,
    coalesce(paid, 0) AS paid FROM int_orders WHERE NOT is_cancelled;
CREATE OR REPLACE TABLE mart_revenue_monthly AS
WITH lm AS (SELECT DISTINCT entity, year, month FROM int_orders),
t AS (SELECT t.entity, t.year, t.month, t.unit, sum(revenue_target) AS target FROM raw_targets t
      JOIN lm USING (entity, year, month) GROUP BY ALL),
o AS (SELECT entity, year, month, unit,
      sum(CASE WHEN is_cancelled THEN 0 ELSE net_amount END) AS revenue,
      sum(CASE WHEN is_cancelled THEN 0 ELSE paid END) AS collected,
      count(*) AS orders, count(*) FILTER (WHERE is_cancelled) AS cancelled
      FROM int_orders GROUP BY ALL),
g AS (SELECT entity, year, month, unit FROM o UNION SELECT entity, year, month, unit FROM t)
SELECT g.*, coalesce(o.revenue, 0)::BIGINT AS revenue, coalesce(t.target, 0)::BIGINT AS target,
    coalesce(o.collected, 0)::BIGINT AS collected, coalesce(o.orders, 0)::BIGINT AS orders,
    coalesce(o.cancelled, 0)::BIGINT AS cancelled
FROM g LEFT JOIN o USING (entity, year, month, unit) LEFT JOIN t USING (entity, year, month, unit);
CREATE OR REPLACE TABLE mart_program_progress AS
SELECT p.entity, p.year, lm.month, p.program_code, p.program_name, p.unit,
    coalesce(e.enrollments, 0)::BIGINT AS enrollments, p.target_students::BIGINT AS target,
    coalesce(e.revenue, 0)::BIGINT AS revenue
FROM raw_programs p JOIN (SELECT DISTINCT entity, year, month FROM int_orders) lm
    USING (entity, year)
LEFT JOIN (SELECT entity, year, month, program_code, count(*) AS enrollments,
    sum(net_amount) AS revenue FROM int_enrollments GROUP BY ALL) e
    ON e.entity = p.entity AND e.year = p.year AND e.month = lm.month
    AND e.program_code = p.program_code;
"""


def _insert_rows(con) -> None:
    for o in ORDERS:
        name = " ".join(o["student"].split())
        con.execute(
            "INSERT INTO raw_orders (entity, year, month, sheet, source_row, order_date, invoice,"
            " student_name, student_key, organization, program_code, unit, price, discount,"
            " paid, status) VALUES ('IONS', ?, ?, 'X', 2, make_date(?, ?, ?), ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?, ?)",
            [o["year"], o["month"], o["year"], o["month"], o["day"], o["invoice"], name,
             name.casefold(), o["org"] or None, o["program"], o["unit"], o["price"],
             o["discount"], o["paid"], o["status"]],
        )  # fmt: skip
    for year in (2025, 2026):
        for code, (name, unit, price, target) in PROGRAMS.items():
            con.execute(
                "INSERT INTO raw_programs (entity, year, sheet, source_row, program_code,"
                " program_name, unit, price, target_students)"
                " VALUES ('IONS', ?, 'REFERENSI', 2, ?, ?, ?, ?, ?)",
                [year, code, name, unit, price, target],
            )
    for (year, month, unit), amount in TARGETS.items():
        con.execute(
            "INSERT INTO raw_targets (entity, year, month, sheet, source_row, unit,"
            " revenue_target) VALUES ('IONS', ?, ?, 'REFERENSI', 9, ?, ?)",
            [year, month, unit, amount],
        )


def build_report_warehouse() -> None:
    with pipeline_lock(), connect() as con:
        ensure_raw_tables(con)
        _insert_rows(con)
        con.execute(MART_SQL)


@pytest.fixture
def warehouse_data(entity):
    build_report_warehouse()
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


def in_period(period):
    return [o for o in ORDERS if (o["year"], o["month"]) in period]


def revenue_of(period, unit=None) -> int:
    return sum(net(o) for o in live(in_period(period)) if unit in (None, o["unit"]))


def previous_of(previous, unit=None) -> int | None:
    """None when any month of the previous period was never loaded."""
    return revenue_of(previous, unit) if set(previous) <= LOADED else None


def target_of(period, unit=None) -> int:
    return sum(
        amount
        for (y, m, u), amount in TARGETS.items()
        if (y, m) in period and (y, m) in LOADED and unit in (None, u)
    )


def expected_report(year: int, months: list[int], previous: list[tuple[int, int]]) -> dict:
    period = [(year, m) for m in months]
    orders = in_period(period)
    actual = revenue_of(period)
    collected = sum(o["paid"] for o in live(orders))
    prev = previous_of(previous)
    units = sorted({o["unit"] for o in orders} | {u for (y, m, u) in TARGETS if (y, m) in period})
    return {
        "actual": actual,
        "target": target_of(period),
        "achievement_pct": percentage(actual, target_of(period)),
        "previous": prev,
        "change_pct": None if prev is None else percentage(actual - prev, prev),
        "collected": collected,
        "outstanding": actual - collected,
        "by_unit": {u: expected_unit(period, previous, u) for u in units},
        "by_month": [
            {"month": m, "actual": revenue_of([(year, m)]), "target": target_of([(year, m)])}
            for m in months
        ],
        "programs": expected_programs(year, period),
        "orders": {"total": len(orders), "cancelled": len(orders) - len(live(orders))},
        "top_organizations": expected_organizations(orders),
    }


def expected_unit(period, previous, unit) -> dict:
    actual, target = revenue_of(period, unit), target_of(period, unit)
    prev = previous_of(previous, unit)
    return {
        "unit": unit,
        "actual": actual,
        "target": target,
        "achievement_pct": percentage(actual, target),
        "previous": prev,
        "change_pct": None if prev is None else percentage(actual - prev, prev),
    }


def expected_programs(year, period) -> dict:
    loaded_months = len([p for p in period if p in LOADED])
    result = {}
    for code, (name, unit, _price, target_students) in PROGRAMS.items():
        enrolled = [o for o in live(in_period(period)) if o["program"] == code]
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


def expected_organizations(orders) -> list[dict]:
    students: dict[str, set] = {}
    revenue: dict[str, int] = {}
    for o in live(orders):
        name = o["org"] or "(no organization)"
        students.setdefault(name, set()).add(" ".join(o["student"].split()).casefold())
        revenue[name] = revenue.get(name, 0) + net(o)
    ranked = sorted(revenue, key=lambda n: (-revenue[n], n))[:10]
    return [{"name": n, "students": len(students[n]), "revenue": revenue[n]} for n in ranked]


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
    assert_matches(report, expected_report(2026, [2], [(2026, 1)]))
    assert report["revenue"]["previous"] is not None


def test_january_compares_with_the_previous_december(warehouse_data):
    report = formatted(2026, MonthRange(1, 1), "monthly")
    assert_matches(report, expected_report(2026, [1], [(2025, 12)]))
    assert report["revenue"]["previous"] == revenue_of([(2025, 12)]) > 0


def test_a_quarter_compares_with_the_previous_quarter_across_the_year(warehouse_data):
    report = formatted(2026, MonthRange(1, 3), "quarterly")
    assert (report["type"], report["label"], report["months"]) == ("quarterly", "Q1", [1, 2, 3])
    previous = months_before(2026, 1, 3)
    assert previous == [(2025, 10), (2025, 11), (2025, 12)]
    assert_matches(report, expected_report(2026, [1, 2, 3], previous))


def test_a_range_that_is_not_a_quarter_is_labelled_range(warehouse_data):
    report = formatted(2026, MonthRange(2, 4), "monthly")
    assert (report["type"], report["label"], report["months"]) == ("range", "range", [2, 3, 4])
    assert_matches(report, expected_report(2026, [2, 3, 4], months_before(2026, 2, 3)))
    assert resolve_period("IONS", 2026, MonthRange(2, 4), "monthly").stem == "IONS-2026-M02-M04"


def test_a_yearly_report_covers_the_loaded_months(warehouse_data):
    report = formatted(2026, None, "yearly")
    loaded = sorted(m for y, m in LOADED if y == 2026)
    assert (report["type"], report["label"], report["months"]) == ("yearly", "2026", loaded)
    # The same months of 2025 were never loaded, so there is nothing to compare with.
    assert_matches(report, expected_report(2026, loaded, [(2025, m) for m in loaded]))
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
    assert_matches(report, expected_report(2026, [4, 5, 6], [(2026, 1), (2026, 2), (2026, 3)]))


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
