"""validate: every DESIGN §4 rule, each issue naming its exact cell."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pipeline_ops.models import PipelineRun, ValidationIssue
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.period import MonthRange
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.warehouse import connect
from pipeline_ops.pipeline.stages.extract import run_extract
from pipeline_ops.pipeline.stages.load import run_load
from pipeline_ops.pipeline.stages.validate import run_validate
from tests.workbooks import PROGRAMS, order

pytestmark = pytest.mark.django_db

# FEB, title rows 1-2, header row 3, so order i is on Excel row 4 + i; columns A (No) … L.
BAD_ROWS = [
    (order(invoice="INV-1"), None),
    (order(invoice="INV-2", date="31/02/2026"), ("FEB!B5", "invalid_date")),
    (order(invoice="INV-3", date=dt.datetime(2026, 3, 1)), ("FEB!B6", "date_outside_month")),
    (order(invoice="INV-4", program="XX-9"), ("FEB!F7", "unknown_program")),
    (order(invoice="INV-5", price="abc"), ("FEB!H8", "invalid_money")),
    (order(invoice="INV-6", discount=-5000, paid=1_505_000), ("FEB!I9", "negative_money")),
    (
        order(invoice="INV-7", discount=2_000_000, paid=0, status="CICIL"),
        ("FEB!I10", "discount_exceeds_price"),
    ),
    (order(invoice="INV-8", paid=1_600_000), ("FEB!J11", "paid_exceeds_net")),
    (order(invoice=" inv-1 "), ("FEB!C12", "duplicate_invoice")),
    (order(invoice="INV-10", student="   "), ("FEB!D13", "blank_student")),
    (order(invoice="INV-11", status="PAID"), ("FEB!L14", "unknown_status")),
    (order(invoice="INV-12", paid=1_000_000), ("FEB!J15", "lunas_underpaid")),
    (order(invoice="INV-13", unit="DR"), ("FEB!G16", "unit_mismatch")),
    (order(invoice="INV-14", organization="Sekolah Baru"), ("FEB!E17", "unknown_organization")),
    (order(invoice="INV-15", organization=" sekolah  BARU"), None),  # same org: warned once
    (order(invoice="INV-16", price=1_400_000, paid=1_400_000), ("FEB!H19", "price_mismatch")),
    (order(invoice=None), ("FEB!C20", "missing_invoice")),
    (order(invoice="INV-18", price=None), ("FEB!H21", "invalid_money")),
    (order(invoice="INV-19", paid=-100, status="CICIL"), ("FEB!J22", "negative_money")),
    (order(invoice="INV-20", unit="xx"), ("FEB!G23", "unit_mismatch")),
]
WARNINGS = {"unit_mismatch", "unknown_organization", "price_mismatch"}


def issues(**filters) -> dict[str, ValidationIssue]:
    return {i.cell: i for i in ValidationIssue.objects.filter(**filters)}


def warehouse_issues() -> set[tuple]:
    with pipeline_lock(), connect() as con:
        return set(
            con.execute("SELECT month, cell, rule, severity FROM _validation_issues").fetchall()
        )


def sync(months=None, lines=None):
    run_extract("IONS", 2026, months)
    run_load("IONS", 2026, months)
    return run_validate("IONS", 2026, months, out=(lines.append if lines is not None else None))


@pytest.fixture
def bad_feb(entity, workbook_factory):
    return workbook_factory(months={2: [r for r, _ in BAD_ROWS]}, title_rows=[["Penjualan"], []])


def test_each_rule_names_the_exact_cell_of_its_issue(bad_feb):
    expected = {issue for _, issue in BAD_ROWS if issue}
    errors = sum(rule not in WARNINGS for _, rule in expected)
    with pytest.raises(PipelineError, match=f"Validation found {errors} error"):
        sync()
    found = {(i.cell, i.rule) for i in ValidationIssue.objects.all()}
    assert found == expected
    for cell, rule in expected:
        severity = "warning" if rule in WARNINGS else "error"
        assert issues(cell=cell)[cell].severity == severity


def test_issues_are_stored_in_the_warehouse_with_the_failed_run(bad_feb):
    with pytest.raises(PipelineError):
        sync()
    run = PipelineRun.objects.get(stage="validate")
    assert run.status == "failed" and "FEB!B5" in run.error_message
    stored = warehouse_issues()
    assert {(c, r) for _, c, r, _ in stored} == {i for _, i in BAD_ROWS if i}
    assert {m for m, *_ in stored} == {2}
    assert {i.run_id for i in ValidationIssue.objects.all()} == {run.pk}


def test_messages_quote_the_offending_values(bad_feb):
    with pytest.raises(PipelineError):
        sync()
    by_cell = issues()
    assert by_cell["FEB!B5"].value == "31/02/2026"
    assert "'31/02/2026' is not a date" in by_cell["FEB!B5"].message
    assert "outside FEB 2026" in by_cell["FEB!B6"].message
    assert by_cell["FEB!F7"].message == "Kode Program 'XX-9' is not in REFERENSI"
    assert by_cell["FEB!H8"].value == "abc"
    assert by_cell["FEB!C12"].message == "No Invoice 'inv-1' is already used on FEB row 4"
    assert by_cell["FEB!J15"].message == (
        "Status LUNAS but Dibayar 1000000 is less than Harga - Diskon = 1500000"
    )
    assert "(2 order(s) this month" in by_cell["FEB!E17"].message
    assert by_cell["FEB!H21"].message == "Harga is blank"
    assert "'xx' is not TM or DR" in by_cell["FEB!G23"].message


def test_output_counts_rules_then_lists_the_first_twenty_issues(entity, workbook_factory):
    rows = [order(invoice=f"I{i}", status="PAID") for i in range(25)]
    workbook_factory(months={2: [*rows, order(invoice="W", unit="DR")]})
    lines: list[str] = []
    with pytest.raises(PipelineError):
        sync(lines=lines)
    assert lines[:4] == [
        "IONS 2026 month 2: 25 error(s), 1 warning(s)",
        f"  {'unknown_status':<24}{'error':<9}{25:>7}",
        f"  {'unit_mismatch':<24}{'warning':<9}{1:>7}",
        "First 20 issue(s):",
    ]
    listed = [line.split()[0] for line in lines[4:]]
    assert listed == [f"FEB!L{row}" for row in range(2, 22)]


def test_with_a_discount_paying_more_than_price_minus_discount_is_an_error_and_exactly_it_is_not(
    entity, workbook_factory
):
    price, discount = 1_500_000, 250_000  # TM-SD-REG's price in REFERENSI
    net = price - discount  # OVER pays less than Harga: only the discount makes it too much
    layout = workbook_factory(
        months={
            2: [
                order(invoice="OVER", discount=discount, paid=net + 50_000, status="CICIL"),
                order(invoice="EXACT", discount=discount, paid=net, status="LUNAS"),
            ]
        }
    )
    with pytest.raises(PipelineError, match="Validation found 1 error"):
        sync()
    (issue,) = ValidationIssue.objects.all()
    assert (issue.cell, issue.rule) == (layout.cell(2, 0, "Dibayar"), "paid_exceeds_net")
    assert issue.message == f"Dibayar {net + 50_000} is more than Harga - Diskon = {net}"


def test_warnings_alone_succeed(entity, workbook_factory):
    workbook_factory(months={2: [order(unit="DR"), order(invoice="B", organization="Baru")]})
    run = sync()
    assert run.status == "success"
    assert {i.rule for i in ValidationIssue.objects.all()} == {
        "unit_mismatch",
        "unknown_organization",
    }


def test_a_duplicate_invoice_across_months_points_at_the_first_one(entity, workbook_factory):
    workbook_factory(
        months={
            1: [order(invoice="INV-9", date=dt.datetime(2026, 1, 5))],
            2: [order(invoice="X"), order(invoice="INV-9")],
        }
    )
    with pytest.raises(PipelineError):
        sync()
    (issue,) = ValidationIssue.objects.all()
    assert (issue.cell, issue.month) == ("FEB!C3", 2)
    assert issue.message == "No Invoice 'INV-9' is already used on JAN row 2"


def test_reference_problems_name_their_referensi_cells(entity, workbook_factory):
    programs = [
        *PROGRAMS,
        {"code": "TM-SD-REG", "name": "Dup", "unit": "TM", "price": 1, "target": 1},
        {"code": "P2", "name": "Bad", "unit": "Hybrid", "price": "mahal", "target": "lima"},
    ]
    targets = [{"month": "Februari", "unit": "tm", "target": "Rp 10.000.000"},
               {"month": "Foo", "unit": "DR", "target": 5}]  # fmt: skip
    layout = workbook_factory(programs=programs, targets=targets)
    with pytest.raises(PipelineError):
        sync()
    found = {(i.cell, i.rule, i.month) for i in ValidationIssue.objects.all()}
    p, t = layout.reference_rows["programs"], layout.reference_rows["targets"]
    assert found == {
        (f"REFERENSI!A{p + 4}", "invalid_reference", None),  # duplicate code
        (f"REFERENSI!C{p + 5}", "invalid_reference", None),  # unit Hybrid
        (f"REFERENSI!D{p + 5}", "invalid_money", None),
        (f"REFERENSI!E{p + 5}", "invalid_reference", None),
        (f"REFERENSI!A{t + 2}", "invalid_reference", None),  # Bulan Foo
    }


def test_validating_one_month_replaces_only_that_months_issues(entity, workbook_factory):
    workbook_factory(
        months={
            2: [order(status="PAID")],
            3: [order(invoice="M3", date=dt.datetime(2026, 3, 2), status="??")],
        }
    )
    with pytest.raises(PipelineError):
        sync()
    assert set(issues()) == {"FEB!L2", "MAR!L2"}
    with pytest.raises(PipelineError):
        run_validate("IONS", 2026, MonthRange(3, 3))
    assert set(issues()) == {"FEB!L2", "MAR!L2"}
    assert {m for m, *_ in warehouse_issues()} == {2, 3}
    assert ValidationIssue.objects.count() == len(warehouse_issues()) == 2


def test_the_standard_workbook_validates_clean(standard_source):
    lines: list[str] = []
    assert sync(lines=lines).status == "success"
    assert lines == ["IONS 2026 months 1, 2, 3: 0 error(s), 0 warning(s)"]
    assert ValidationIssue.objects.count() == 0


def test_the_demo_workbook_validates_with_no_errors(entity, data_dir):
    from pipeline_ops.pipeline.demo.workbooks import write_demo_workbook

    write_demo_workbook(
        data_dir / "sources/IONS/IONS-2026.xlsx", entity="IONS", year=2026, rows_per_month=40
    )
    assert sync().status == "success"
    assert not ValidationIssue.objects.filter(severity="error").exists()


def test_validating_a_month_that_was_never_loaded_says_so(standard_source):
    run_extract("IONS", 2026)
    run_load("IONS", 2026, MonthRange(1, 1))
    with pytest.raises(PipelineError, match="Month 2 of IONS 2026 is not loaded"):
        run_validate("IONS", 2026, MonthRange(2, 2))


def test_the_command_exits_one_on_errors_and_zero_on_success(bad_feb, capsys):
    call_command("extract", entity="IONS", year=2026)
    call_command("load", entity="IONS", year=2026)
    with pytest.raises(CommandError) as failure:
        call_command("validate", "--entity", "ions", "--year", "2026")
    assert failure.value.returncode == 1
    assert "FEB!B5" in str(failure.value)
    assert "First 18 issue(s):" in capsys.readouterr().out
