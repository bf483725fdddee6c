"""Unit reports (`--unit TM`, docs/reports.md "Unit reports"): the report JSON restricted to
one unit, its own files, and the unit kept by the admin's launch form and by a re-run.

The numbers are checked twice: against the unit's row of the whole-entity report on the
shared demo warehouse, and against totals worked out by hand for a small workbook."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from pipeline_ops.models import PipelineRun, Report
from pipeline_ops.pipeline.period import MonthRange, PeriodError, resolve_period
from pipeline_ops.pipeline.runs.control import cancel
from pipeline_ops.pipeline.runs.launch import Work, create_queued_run, execute
from pipeline_ops.pipeline.stages.report import run_format
from pipeline_ops.pipeline.stages.sync import run_sync
from tests.warehouse_fixtures import manage
from tests.workbooks import build_workbook, order

pytestmark = pytest.mark.django_db
PERIODS = [(MonthRange(2, 2), "monthly"), (MonthRange(1, 3), "quarterly"), (None, "yearly")]


def formatted(months: MonthRange | None, kind: str, unit: str | None = None) -> dict:
    run_format("IONS", 2026, months, report_type=kind, unit=unit, force=True)
    path = resolve_period("IONS", 2026, months, kind, unit).path(".json")
    return json.loads(path.read_text())


def live_orders(orders: list[dict], unit: str, months: list[int]) -> list[dict]:
    return [o for o in orders if o["unit"] == unit and o["month"] in months]


def top_organizations(orders: list[dict]) -> list[tuple[str, int]]:
    totals: dict[str, int] = {}
    for o in orders:
        name = o["organization"] or "(no organization)"
        totals[name] = totals.get(name, 0) + o["price"] - o["discount"]
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:10]


# ---- the demo warehouse: a unit report is its unit's row of the whole report ---------------


@pytest.mark.parametrize("months, kind", PERIODS)
def test_a_unit_report_shows_the_numbers_of_its_row_in_the_whole_report(
    warehouse, built_warehouse, months, kind
):
    whole = formatted(months, kind)
    assert whole["unit"] is None
    rows = {row["unit"]: row for row in whole["revenue"]["by_unit"]}
    assert set(rows) == {"TM", "DR"}
    for unit, row in rows.items():
        report = formatted(months, kind, unit)
        revenue = report["revenue"]
        assert (report["unit"], report["label"], report["months"]) == (
            unit, whole["label"], whole["months"])  # fmt: skip
        for key in ("actual", "target", "achievement_pct", "previous", "change_pct"):
            assert revenue[key] == row[key], (unit, key)
        assert revenue["by_unit"] == [row]
        assert [m["actual"] for m in revenue["by_month"]] == [
            sum(o["price"] - o["discount"] for o in live_orders(built_warehouse.orders, unit, [m])
                if o["status"] != "BATAL")
            for m in report["months"]
        ]  # fmt: skip
        assert report["programs"] == [p for p in whole["programs"] if p["unit"] == unit]
        orders = live_orders(built_warehouse.orders, unit, report["months"])
        cancelled = [o for o in orders if o["status"] == "BATAL"]
        assert report["orders"] == {"total": len(orders), "cancelled": len(cancelled)}
        assert revenue["outstanding"] == revenue["actual"] - revenue["collected"]
        assert [(o["name"], o["revenue"]) for o in report["top_organizations"]] == (
            top_organizations([o for o in orders if o["status"] != "BATAL"]))  # fmt: skip
        if kind == "monthly":  # the day chart of a unit report adds up to its revenue
            assert sum(day["actual"] for day in revenue["by_day"]) == revenue["actual"]
            days = zip(revenue["by_day"], whole["revenue"]["by_day"], strict=True)
            assert any(day["actual"] < all_days["actual"] for day, all_days in days)


def test_the_units_together_make_the_whole_report(warehouse):
    whole = formatted(MonthRange(1, 3), "quarterly")
    units = [formatted(MonthRange(1, 3), "quarterly", unit) for unit in ("TM", "DR")]
    for key in ("actual", "target", "collected", "outstanding"):
        assert sum(u["revenue"][key] for u in units) == whole["revenue"][key], key
    assert sum(u["orders"]["total"] for u in units) == whole["orders"]["total"]
    assert sorted(p["code"] for u in units for p in u["programs"]) == sorted(
        p["code"] for p in whole["programs"]
    )


# ---- a small workbook whose TM and DR totals are worked out by hand ------------------------

FEB = dt.datetime(2026, 2, 1)


def _hand_orders() -> dict[int, list[dict]]:
    """January: one TM and one DR order. February: two TM orders (one half paid), a DR order
    cancelled, a DR order with a discount, and a TM program taken online (unit DR)."""
    jan = dt.datetime(2026, 1, 5)
    return {
        1: [order(date=jan, invoice="J-1", student="Budi", organization="SD Harapan"),
            order(date=jan, invoice="J-2", student="Siti", organization="SMP Nusantara",
                  program="DR-SMP-INT", unit="DR", price=900_000, paid=900_000)],
        2: [order(date=FEB, invoice="F-1", student="Budi", organization="SD Harapan",
                  discount=100_000, paid=700_000, status="CICIL"),
            order(date=FEB, invoice="F-2", student="Andi", organization="Bimbel Cerdas",
                  program="TM-SMA-UTBK", price=2_500_000, paid=2_500_000),
            order(date=FEB, invoice="F-3", student="Dewi", organization="SMP Nusantara",
                  program="DR-SMP-INT", unit="DR", price=900_000, paid=0, status="BATAL"),
            order(date=FEB, invoice="F-4", student="Rudi", organization="SD Harapan",
                  program="DR-SMP-INT", unit="DR", price=900_000, discount=50_000,
                  paid=850_000),
            order(date=FEB, invoice="F-5", student="Siti", organization="Bimbel Cerdas",
                  unit="DR", paid=1_500_000)],
    }  # fmt: skip


HAND_TARGETS = [
    {"month": 1, "unit": "TM", "target": 5_000_000},
    {"month": 1, "unit": "DR", "target": 2_000_000},
    {"month": 2, "unit": "TM", "target": 6_000_000},
    {"month": 2, "unit": "DR", "target": 1_000_000},
]
# February by hand. TM: 1,400,000 + 2,500,000 of orders; F-5 is a TM program but the DR
# unit's order: DR's revenue, and in DR's programs under TM-SD-REG (no DR target). DR:
# 850,000 + 1,500,000 (F-3 was cancelled). A unit's program revenues add up to its revenue.
FEBRUARY = {
    "TM": {
        "revenue": {"actual": 3_900_000, "target": 6_000_000, "achievement_pct": 65.0,
                    "previous": 1_500_000, "change_pct": 160.0, "collected": 3_200_000,
                    "outstanding": 700_000},
        "orders": {"total": 2, "cancelled": 0},
        "programs": [("TM-SD-REG", 1, 4, 1_400_000), ("TM-SMA-UTBK", 1, 2, 2_500_000)],
        "top_organizations": [("Bimbel Cerdas", 1, 2_500_000), ("SD Harapan", 1, 1_400_000)],
    },
    "DR": {
        "revenue": {"actual": 2_350_000, "target": 1_000_000, "achievement_pct": 235.0,
                    "previous": 900_000, "change_pct": 161.1, "collected": 2_350_000,
                    "outstanding": 0},
        "orders": {"total": 3, "cancelled": 1},
        "programs": [("DR-SMP-INT", 1, 3, 850_000), ("TM-SD-REG", 1, 0, 1_500_000)],
        "top_organizations": [("Bimbel Cerdas", 1, 1_500_000), ("SD Harapan", 1, 850_000)],
    },
}  # fmt: skip
# The whole year (January and February loaded; 2025 never was, so no previous).
YEAR = {"TM": (5_400_000, 11_000_000, 49.1, 3, 0), "DR": (3_250_000, 3_000_000, 108.3, 4, 1)}


def _check_february(report: dict, unit: str) -> None:
    expected = FEBRUARY[unit]
    revenue = report["revenue"]
    assert {key: revenue[key] for key in expected["revenue"]} == expected["revenue"]
    assert revenue["by_unit"] == [
        {"unit": unit, **{k: expected["revenue"][k] for k in
                          ("actual", "target", "achievement_pct", "previous", "change_pct")}}
    ]  # fmt: skip
    assert revenue["by_month"] == [{"month": 2, "actual": revenue["actual"],
                                    "target": revenue["target"],
                                    "collected": revenue["collected"],
                                    "outstanding": revenue["outstanding"]}]  # fmt: skip
    assert report["orders"] == expected["orders"]
    programs = [(p["code"], p["enrollments"], p["target"], p["revenue"]) for p in
                report["programs"]]  # fmt: skip
    assert programs == expected["programs"]
    organizations = [(o["name"], o["students"], o["revenue"]) for o in report["top_organizations"]]
    assert organizations == expected["top_organizations"]


def test_unit_reports_of_a_small_workbook_match_totals_worked_out_by_hand(entity, data_dir):
    build_workbook(data_dir / "sources/IONS/IONS-2026.xlsx", months=_hand_orders(),
                   targets=HAND_TARGETS)  # fmt: skip
    assert run_sync("IONS", 2026).status == "success"
    for unit in ("TM", "DR"):
        _check_february(formatted(MonthRange(2, 2), "monthly", unit), unit)
        yearly = formatted(None, "yearly", unit)["revenue"]
        actual, target, achievement, total, cancelled = YEAR[unit]
        assert (yearly["actual"], yearly["target"], yearly["achievement_pct"]) == (
            actual, target, achievement)  # fmt: skip
        assert yearly["previous"] is None
        assert formatted(None, "yearly", unit)["orders"] == {"total": total, "cancelled": cancelled}
    whole = formatted(MonthRange(2, 2), "monthly")["revenue"]
    assert whole["actual"] == 3_900_000 + 2_350_000


# ---- files, flags and the rendered title ----------------------------------------------------


@pytest.mark.parametrize(
    "months, kind, stem",
    [(MonthRange(2, 2), "monthly", "IONS-2026-02-TM"),
     (MonthRange(1, 3), "quarterly", "IONS-2026-Q1-TM"),
     (None, "yearly", "IONS-2026-TM"),
     (MonthRange(2, 4), "monthly", "IONS-2026-M02-M04-TM")],
)  # fmt: skip
def test_a_unit_report_names_its_files_after_the_period_and_the_unit(months, kind, stem):
    period = resolve_period("IONS", 2026, months, kind, "tm")
    assert (period.stem, period.unit) == (stem, "TM")
    assert period.path(".json").name == f"{stem}.json"
    assert resolve_period("IONS", 2026, months, kind).stem == stem.removesuffix("-TM")


def test_an_unknown_unit_names_the_known_ones():
    with pytest.raises(PeriodError, match="unit 'XX' is not one of TM, DR"):
        resolve_period("IONS", 2026, MonthRange(2, 2), "monthly", "XX")


def test_the_report_command_with_an_unknown_unit_exits_2_naming_tm_and_dr(data_dir):
    proc = manage(data_dir, "report", "--entity", "IONS", "--year", "2026", "--month", "2",
                  "--unit", "xx", check=False)  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "manage.py report: error: argument --unit: unit 'xx' is not one of TM, DR"
    ]


def test_report_with_a_lower_case_unit_writes_the_unit_files_and_records_the_unit(
    warehouse, data_dir, capsys
):
    call_command("report", "--entity", "IONS", "--year", "2026", "--month", "2", "--unit", "tm",
                 "--force")  # fmt: skip
    out = capsys.readouterr().out
    for suffix in ("json", "html", "xlsx"):
        assert (data_dir / f"reports/IONS/IONS-2026-02-TM.{suffix}").exists()
        assert f"IONS-2026-02-TM.{suffix}" in out
    record = Report.objects.get()
    assert (record.unit, record.stem, record.label) == ("TM", "IONS-2026-02-TM", "2026-02")
    stages = {r.stage: r.options for r in PipelineRun.objects.all()}
    assert {stage: options.get("unit") for stage, options in stages.items()} == {
        "report": "TM", "format": "TM", "present": "TM"}  # fmt: skip


def test_format_and_present_take_the_unit_and_the_title_names_it(warehouse, data_dir):
    flags = ("--entity", "IONS", "--year", "2026", "--month", "2", "--unit", "Dr")
    call_command("format", *flags, "--force")
    folder = data_dir / "reports/IONS"
    assert json.loads((folder / "IONS-2026-02-DR.json").read_text())["unit"] == "DR"
    assert not (folder / "IONS-2026-02-DR.html").exists()
    call_command("present", *flags)
    html = (folder / "IONS-2026-02-DR.html").read_text()
    assert "<title>IONS DR revenue report — Feb 2026</title>" in html
    summary = load_workbook(folder / "IONS-2026-02-DR.xlsx")["Summary"]
    rows = {row[0]: row[1] for row in summary.iter_rows(min_row=2, values_only=True)}
    assert rows["Unit"] == "DR"
    assert not (folder / "IONS-2026-02.json").exists()  # the whole report was not touched


def test_present_of_a_unit_report_that_was_never_formatted_fails_with_exit_1(warehouse):
    with pytest.raises(CommandError) as info:
        call_command("present", "--entity", "IONS", "--year", "2026", "--month", "2",
                     "--unit", "TM")  # fmt: skip
    assert info.value.returncode == 1 and "IONS-2026-02-TM.json" in str(info.value)


# ---- the admin: launch form, run page, re-run, Report list ----------------------------------

ENTITIES = reverse("admin:pipeline_ops_entity_changelist")


def launch_report(client, entity, **fields):
    data = {"action": "launch_report", "_selected_action": [entity.pk], "apply": "1",
            "year": 2026, "month": "2", "report_type": "monthly", **fields}  # fmt: skip
    return client.post(ENTITIES, data, follow=True)


def test_the_launch_form_queues_a_unit_report_that_the_worker_builds(
    client, entity, operator, warehouse
):
    client.force_login(operator)
    launch_report(client, entity, unit="TM")
    run = PipelineRun.objects.get()
    assert (run.stage, run.month, run.options["unit"]) == ("report", 2, "TM")
    assert execute(run.pk) == "report IONS 2026: success"
    assert Report.objects.get().stem == "IONS-2026-02-TM"
    page = client.get(reverse("admin:pipeline_ops_pipelinerun_change", args=[run.pk]))
    assert "Report · IONS · February 2026 · unit TM" in page.content.decode()


def test_a_blank_unit_on_the_launch_form_queues_the_whole_entity_report(client, entity, operator):
    client.force_login(operator)
    launch_report(client, entity, unit="")
    assert "unit" not in PipelineRun.objects.get().options


def test_a_re_run_of_a_cancelled_unit_report_keeps_the_unit(client, entity, operator, warehouse):
    client.force_login(operator)
    launch_report(client, entity, unit="DR")
    first = PipelineRun.objects.get()
    assert cancel([first], operator) == [first.pk]
    client.post(reverse("admin:pipeline_ops_pipelinerun_rerun", args=[first.pk]))
    again = PipelineRun.objects.get(status="queued")
    assert (again.options["unit"], again.options["rerun_of"]) == ("DR", first.pk)
    execute(again.pk)
    assert (Report.objects.get().unit, Report.objects.get().stem) == ("DR", "IONS-2026-02-DR")


def test_a_unit_report_may_be_queued_while_the_whole_report_of_the_month_is(entity):
    month = MonthRange(2, 2)
    create_queued_run(Work("report", "IONS", 2026, month))
    create_queued_run(Work("report", "IONS", 2026, month, extra=(("unit", "TM"),)))
    with pytest.raises(Exception, match="already queued"):
        create_queued_run(Work("report", "IONS", 2026, month, extra=(("unit", "TM"),)))
    assert PipelineRun.objects.count() == 2


def test_the_report_list_shows_the_unit_and_filters_by_it(client, entity, operator):
    for stem, unit in (("IONS-2026-02", ""), ("IONS-2026-02-TM", "TM")):
        Report.objects.create(entity=entity, year=2026, month_start=2, month_end=2,
                              type="monthly", label="2026-02", unit=unit, stem=stem,
                              json_path=f"/nowhere/{stem}.json")  # fmt: skip
    client.force_login(operator)
    reports = reverse("admin:pipeline_ops_report_changelist")
    listed = {
        value: [r.stem for r in client.get(reports, {"unit": value}).context["cl"].result_list]
        for value in ("TM", "DR", "all")
    }
    assert listed == {"TM": ["IONS-2026-02-TM"], "DR": [], "all": ["IONS-2026-02"]}
    page = client.get(reports).content.decode()
    assert '<td class="field-unit_text">TM</td>' in page
