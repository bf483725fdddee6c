"""`manage.py explain` (docs/reports.md, "explain"): the orders behind one figure of a built
report, read from its latest build's evidence. Its total is the report's number, checked
here against the report JSON and against sums of the demo workbook's own rows; bad flags
exit 2 and a report that was never built exits 1, each with one line."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from django.core.management import CommandError, call_command

from pipeline_ops.models import Report
from tests.warehouse_fixtures import manage

# The subprocesses read the test's rows (the Report a test built): they must be committed.
pytestmark = pytest.mark.django_db(transaction=True)
FEB = ("--entity", "IONS", "--year", "2026", "--month", "2")
Q1 = ("--entity", "IONS", "--year", "2026", "--month", "1-3", "--type", "quarterly")
ROW_KEYS = {"invoice", "amount", "sheet", "row", "cell", "workbook_sha256", "date", "student",
            "program", "unit", "status"}  # fmt: skip


def report(*flags: str) -> dict:
    call_command("report", *flags, "--force", stdout=io.StringIO())
    row = Report.objects.order_by("-updated").first()
    return json.loads(Path(row.json_path).read_text())


def explained(*flags: str) -> dict:
    out = io.StringIO()
    call_command("explain", *flags, "--json", stdout=out)
    return json.loads(out.getvalue())


def refused(*flags: str) -> CommandError:
    with pytest.raises(CommandError) as info:
        call_command("explain", *flags, stdout=io.StringIO())
    assert len(str(info.value).splitlines()) == 1
    return info.value


@pytest.fixture
def february(warehouse, entity) -> dict:
    return report(*FEB)


def live(orders: list[dict], month: int) -> list[dict]:
    return [o for o in orders if o["month"] == month and o["status"] != "BATAL"]


def by_hand(orders: list[dict], kind: str) -> int:
    """A figure of February summed from the workbook's own rows, not from the warehouse."""
    rows = live(orders, 2)
    revenue = sum(o["price"] - o["discount"] for o in rows)
    collected = sum(o["paid"] for o in rows)
    return {"revenue": revenue, "collected": collected, "outstanding": revenue - collected,
            "orders": len([o for o in orders if o["month"] == 2]),
            "enrollments": len(rows)}[kind]  # fmt: skip


@pytest.mark.parametrize(
    "kind, shown",
    [("revenue", lambda r: r["revenue"]["actual"]),
     ("collected", lambda r: r["revenue"]["collected"]),
     ("outstanding", lambda r: r["revenue"]["outstanding"]),
     ("orders", lambda r: r["orders"]["total"]),
     ("enrollments", lambda r: sum(p["enrollments"] for p in r["programs"]))],
)  # fmt: skip
def test_the_json_total_of_each_figure_is_the_reports_number_and_its_rows_add_up_to_it(
    february, built_warehouse, kind, shown
):
    answer = explained(*FEB, "--figure", kind)
    assert set(answer) == {"figure", "total", "report", "rows"}
    assert (answer["figure"], answer["report"]) == (kind, "IONS-2026-02")
    assert answer["total"] == shown(february) == by_hand(built_warehouse.orders, kind)
    amounts = [row["amount"] for row in answer["rows"]]
    assert sum(amounts) == answer["total"] and amounts == sorted(amounts, reverse=True)
    assert all(set(row) >= ROW_KEYS and row["cell"].startswith("FEB!") for row in answer["rows"])
    if kind != "orders":
        assert "BATAL" not in {row["status"] for row in answer["rows"]}


def test_a_programs_revenue_and_enrollments_are_its_rows_in_the_report(february):
    for program in february["programs"]:
        for kind in ("revenue", "enrollments"):
            answer = explained(*FEB, "--figure", kind, "--program", program["code"])
            assert answer["figure"] == f"{kind}?program={program['code']}"
            assert answer["total"] == program[kind] > 0
            assert {row["program"] for row in answer["rows"]} == {program["code"]}


def test_a_day_as_a_number_or_a_date_is_that_days_revenue(february):
    days = [d for d in february["revenue"]["by_day"] if d["actual"]]
    assert len(days) > 2
    for day in days:
        number = str(date.fromisoformat(day["date"]).day)
        for flag in (number, day["date"]):
            answer = explained(*FEB, "--figure", "revenue", "--day", flag)
            assert answer["total"] == day["actual"]
            assert {row["date"] for row in answer["rows"]} == {day["date"]}


def test_a_unit_reports_evidence_holds_only_its_unit_and_is_its_row_of_the_whole(february):
    whole = {row["unit"]: row["actual"] for row in february["revenue"]["by_unit"]}
    for unit in ("TM", "DR"):
        unit_report = report(*FEB, "--unit", unit)
        answer = explained(*FEB, "--unit", unit, "--figure", "revenue")
        assert (answer["report"], answer["total"]) == (f"IONS-2026-02-{unit}", whole[unit])
        assert answer["total"] == unit_report["revenue"]["actual"]
        everything = explained(*FEB, "--unit", unit.lower(), "--figure", "orders")
        assert {row["unit"] for row in everything["rows"]} == {unit}
        assert everything["total"] == unit_report["orders"]["total"]


def test_a_month_of_a_quarterly_report_is_its_by_month_row(warehouse, entity):
    quarter = report(*Q1)
    for row in quarter["revenue"]["by_month"]:
        answer = explained(*Q1, "--figure", "collected", "--in-month", str(row["month"]))
        assert (answer["figure"], answer["total"]) == (f"collected?month={row['month']}",
                                                       row["collected"])  # fmt: skip
        assert {r["month"] for r in answer["rows"]} == {row["month"]}
    cancelled = explained(*Q1, "--figure", "orders", "--status", "batal")
    assert cancelled["total"] == quarter["orders"]["cancelled"] > 0


def test_the_terminal_table_lists_the_largest_first_and_ends_with_the_total(february):
    out = io.StringIO()
    call_command("explain", *FEB, "--figure", "revenue", "--program", "TM-SD-REG", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["Invoice", "Amount", "Cell", "Student", "Program", "Status"]
    program = next(p for p in february["programs"] if p["code"] == "TM-SD-REG")
    rupiah = f"Rp {program['revenue']:,}".replace(",", ".")
    assert lines[-2] == f"Total: {rupiah}  ({program['enrollments']} orders)"
    assert lines[-1] == "Matches the report's programs[0].revenue (IONS-2026-02.json)."
    amounts = [int(line.split("Rp ")[1].split()[0].replace(".", "")) for line in lines[1:-2]]
    assert amounts == sorted(amounts, reverse=True) and sum(amounts) == program["revenue"]


def test_in_a_real_process_it_answers_while_the_warehouse_is_held_and_writes_nothing(
    february, warehouse, data_dir
):
    folder = data_dir / "reports"
    before = {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}
    with duckdb.connect(str(warehouse)):  # held for writing: a reader of it would fail
        proc = manage(data_dir, "explain", *FEB, "--figure", "outstanding", "--json")
        table = manage(data_dir, "explain", *FEB, "--figure", "revenue")
    assert json.loads(proc.stdout)["total"] == february["revenue"]["outstanding"] > 0
    assert table.stdout.splitlines()[-2].startswith("Total: Rp ")
    assert proc.stderr == table.stderr == ""
    assert {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")} == before


def test_it_reads_the_latest_build_and_refuses_files_that_disagree(february):
    row = Report.objects.get(stem="IONS-2026-02")
    build = row.builds.first()
    assert explained(*FEB, "--figure", "revenue")["total"] == february["revenue"]["actual"]
    damaged = json.loads(Path(build.json_path).read_text())
    damaged["figures"][0]["value"] += 1  # revenue.actual, as a broken copy would say
    Path(build.json_path).write_text(json.dumps(damaged))
    error = refused(*FEB, "--figure", "revenue")
    assert error.returncode == 1 and "damaged" in str(error)
    assert "manage.py report --entity IONS --year 2026 --month 2" in str(error)
    Path(build.evidence_path).write_bytes(b"not a parquet file")
    error = refused(*FEB, "--figure", "orders")
    assert error.returncode == 1 and "cannot be read" in str(error)


# ---- no report, bad flags, hostile values ---------------------------------------------------


@pytest.mark.parametrize(
    "flags, command",
    [(FEB, "manage.py report --entity IONS --year 2026 --month 2`"),
     (Q1, "manage.py report --entity IONS --year 2026 --month 1-3 --type quarterly`"),
     (("--entity", "IONS", "--year", "2026", "--type", "yearly", "--unit", "dr"),
      "manage.py report --entity IONS --year 2026 --type yearly --unit DR`"),
     (("--entity", "IONS", "--year", "2026", "--month", "2-4"),
      "manage.py report --entity IONS --year 2026 --month 2-4`")],
)  # fmt: skip
def test_without_a_built_report_it_exits_1_naming_the_report_command_to_run(
    entity, data_dir, flags, command
):
    proc = manage(data_dir, "explain", *flags, "--figure", "revenue", check=False)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert len(proc.stderr.splitlines()) == 1 and command in proc.stderr


def test_a_report_built_before_evidence_was_kept_exits_1_naming_the_report_command(entity):
    Report.objects.create(entity=entity, year=2026, month_start=2, month_end=2,
                          type="monthly", label="2026-02", stem="IONS-2026-02",
                          json_path="/nowhere.json")  # fmt: skip
    error = refused(*FEB, "--figure", "revenue")
    assert error.returncode == 1 and "built before evidence was kept" in str(error)
    assert "`manage.py report --entity IONS --year 2026 --month 2`" in str(error)


@pytest.mark.parametrize(
    "flags, says",
    [(("--figure", "profit"), "figure 'profit' is not one of revenue"),
     (("--figure", "revenue", "--day", "2026-13-01"), "day '2026-13-01' is not a day"),
     (("--figure", "revenue", "--day", "30"), "day '30' is not a day of February 2026"),
     (("--figure", "revenue", "--day", "2026-03-01"), "day 2026-03-01 is outside IONS-2026-02"),
     (("--figure", "revenue", "--status", "paid"), "status 'paid' is not one of"),
     (("--figure", "revenue", "--in-month", "3"), "month 3 is not in IONS-2026-02"),
     (("--figure", "revenue", "--in-month", "13"), "month '13' is not 1-12"),
     (("--figure", "revenue", "--unit", "xx"), "unit 'xx' is not one of TM, DR"),
     (("--figure", "revenue", "--program", "X" * 10_000), "program 'XXXX"),
     (("--figure", "revenue", "--in-month", "1" * 10_000), "month '1111"),
     (("--figure", "revenue", "--status", "B" * 10_000), "status 'BBBB"),
     (("--figure", "revenue", "--year", "99999"), "'99999' is not a year"),
     (("--figure", "revenue", "--type", "quarterly"), "--type quarterly needs a month range"),
     ((), "the following arguments are required: --figure")],
)  # fmt: skip
def test_a_bad_flag_exits_2_with_one_line_and_no_traceback(data_dir, flags, says):
    proc = manage(data_dir, "explain", *FEB, *flags, check=False)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert len(proc.stderr.splitlines()) == 1 and says in proc.stderr, proc.stderr
    assert proc.stderr.startswith("manage.py explain: error: ") and len(proc.stderr) < 300


@pytest.mark.parametrize(
    "flags",
    [("--program", "TM\x00SD"), ("--day", "14\x00"), ("--status", "LUNAS\x00"),
     ("--type", "yearly", "--day", "14")],
)  # fmt: skip
def test_nul_bytes_and_a_day_number_without_a_month_exit_2(flags):
    months = () if "yearly" in flags else ("--month", "2")
    error = refused("--entity", "IONS", "--year", "2026", *months, "--figure", "revenue", *flags)
    assert error.returncode == 2 and "\x00" not in str(error)


def test_a_program_or_month_the_report_does_not_have_exits_1(february, warehouse):
    error = refused(*FEB, "--figure", "revenue", "--program", "TM-NOPE")
    assert error.returncode == 1 and "TM-SD-REG, TM-SMA-UTBK, DR-SMP-INT" in str(error)
    report("--entity", "IONS", "--year", "2026", "--type", "yearly")
    yearly = ("--entity", "IONS", "--year", "2026", "--type", "yearly", "--figure", "revenue")
    error = refused(*yearly, "--in-month", "7")
    assert error.returncode == 1 and "month 7 is not in IONS-2026 (months 1, 2, 3)" in str(error)
