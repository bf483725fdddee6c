"""The order diff says who and how much (docs/intake.md): each listed order names its
student, program, amount and status, money reads `Rp 1.250.000`, a row whose invoice is
blank is a "row without invoice (MAR!C6)" rather than a removal, and the preview's issues
can be narrowed to those new in this version. Real workbooks, real previews."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
from django.core.files import File
from django.urls import reverse

from pipeline_ops.models import WorkbookChange, WorkbookVersion
from pipeline_ops.pipeline.intake.versions import run_preview, store
from tests.workbooks import build_workbook, order, standard_orders

pytestmark = pytest.mark.django_db
YEAR = 2026


def orders() -> dict[int, list[dict]]:
    return copy.deepcopy(standard_orders(YEAR))


def preview(entity, data_dir: Path, tmp_path: Path, before: dict, after: dict):
    """`before` as the current workbook, `after` offered and previewed: (version, layout)."""
    build_workbook(data_dir / "sources" / "IONS" / f"IONS-{YEAR}.xlsx", months=before)
    layout = build_workbook(tmp_path / "offered.xlsx", months=after)
    with open(tmp_path / "offered.xlsx", "rb") as handle:
        version = store(entity, YEAR, File(handle), "offered.xlsx")
    return run_preview(version.pk), layout


def listed(version: WorkbookVersion) -> list[tuple]:
    """(kind, month, invoice, order described, [[field, old, new], ...]) of each listed row."""
    rows = WorkbookChange.objects.filter(version=version).order_by("month", "invoice", "id")
    return [(c.kind, c.month, c.invoice, c.fields["order"], c.fields["fields"]) for c in rows]


def counts(version: WorkbookVersion) -> tuple[int, int, int]:
    return tuple(version.summary[k] for k in ("added", "removed", "changed"))


def test_added_and_removed_orders_name_student_program_amount_and_status(
    entity, data_dir, tmp_path
):
    after = orders()
    gone = after[3].pop(1)  # Siti Aminah, UTBK SMA 2,500,000 − 100,000, CICIL
    after[2].append(order(invoice="INV-NEW-1", student="Wulan Sari", program="TM-SMA-UTBK",
                          price=2_500_000, paid=0, status="CICIL"))  # fmt: skip
    version, _ = preview(entity, data_dir, tmp_path, orders(), after)
    assert listed(version) == [
        ("added", 2, "INV-NEW-1", {"student": "Wulan Sari", "program": "TM-SMA-UTBK",
                                   "amount": 2_500_000, "status": "CICIL"}, []),
        ("removed", 3, gone["invoice"], {"student": "Siti Aminah", "program": "TM-SMA-UTBK",
                                         "amount": 2_400_000, "status": "CICIL"}, []),
    ]  # fmt: skip


def test_an_order_whose_invoice_was_blanked_is_a_row_without_invoice_not_a_removal(
    entity, data_dir, tmp_path
):
    before, after = orders(), orders()
    invoice = after[3][2]["invoice"]
    after[3][2]["invoice"] = None
    version, layout = preview(entity, data_dir, tmp_path, before, after)
    assert counts(version) == (0, 0, 1), "the row is still there: changed, not −1 removed"
    ((kind, month, _invoice, described, fields),) = listed(version)
    assert (kind, month, fields) == ("changed", 3, [["invoice", invoice, None]])
    assert described["cell"] == layout.cell(3, 2, "No Invoice")  # MAR!C5
    assert described["student"] == after[3][2]["student"]


def test_a_new_row_without_invoice_is_added_and_named_by_its_cell(entity, data_dir, tmp_path):
    after = orders()
    after[1].append(order(invoice=None, date=dt.datetime(YEAR, 1, 30), student="Tono"))
    version, layout = preview(entity, data_dir, tmp_path, orders(), after)
    assert counts(version) == (1, 0, 0)
    ((kind, month, invoice, described, _fields),) = listed(version)
    assert (kind, month, invoice, described["student"]) == ("added", 1, "", "Tono")
    assert described["cell"] == layout.cell(1, 10, "No Invoice")


def test_a_row_without_invoice_in_both_workbooks_is_not_listed(entity, data_dir, tmp_path):
    before = orders()
    before[2][4]["invoice"] = None
    version, _ = preview(entity, data_dir, tmp_path, before, copy.deepcopy(before))
    assert counts(version) == (0, 0, 0) and listed(version) == []


def with_a_price_warning() -> dict[int, list[dict]]:
    """FEB's first order priced under REFERENSI's 1,500,000: a price_mismatch warning."""
    months = orders()
    months[2][0] |= {"price": 1_400_000, "paid": 1_400_000}
    return months


def test_issues_new_in_this_version_leave_out_those_the_current_workbook_has(
    entity, data_dir, tmp_path
):
    after = with_a_price_warning()
    # A row inserted above moves the old warning's cell down: its invoice still matches.
    after[2].insert(0, order(invoice="INV-NEW-1", organization="Bimbel Baru"))
    version, _ = preview(entity, data_dir, tmp_path, with_a_price_warning(), after)
    summary = version.summary
    assert summary["warnings"] == 2 and summary["new_issues"] == 1
    assert [i["rule"] for i in summary["issues_new"]] == ["unknown_organization"]
    assert {i["rule"]: i["new"] for i in summary["issues"]} == {
        "price_mismatch": False, "unknown_organization": True}  # fmt: skip


def test_without_a_current_workbook_every_issue_is_new(entity, tmp_path):
    layout = build_workbook(tmp_path / "first.xlsx", months=with_a_price_warning())
    with open(tmp_path / "first.xlsx", "rb") as handle:
        version = run_preview(store(entity, YEAR, File(handle), "first.xlsx").pk)
    assert version.summary["new_issues"] == version.summary["warnings"] == 1
    assert version.summary["issues_new"][0]["cell"] == layout.cell(2, 0, "Harga")


# --- in the admin ----------------------------------------------------------------------


def diff_page(client, version: WorkbookVersion) -> str:
    url = reverse("admin:pipeline_ops_workbookchange_changelist")
    return client.get(f"{url}?version__id__exact={version.pk}").content.decode()


def preview_page(client, version: WorkbookVersion, query: str = "") -> str:
    url = reverse("admin:pipeline_ops_workbookversion_change", args=[version.pk])
    return client.get(f"{url}{query}").content.decode()


def test_the_diff_page_names_who_and_how_much_in_rupiah(
    client, operator, entity, data_dir, tmp_path
):
    after = with_a_price_warning()
    after[3][2]["invoice"] = None
    version, layout = preview(entity, data_dir, tmp_path, orders(), after)
    client.force_login(operator)
    page = diff_page(client, version)
    assert '<span class="diff-old">Rp 1.500.000</span> → Rp 1.400.000' in page
    assert "Budi Santoso · TM-SD-REG · Rp 1.400.000 · LUNAS" in page
    assert f"row without invoice ({layout.cell(3, 2, 'No Invoice')})" in page
    assert '<span class="diff-old">INV-2026-03002</span> → ∅' in page


def test_the_preview_page_writes_money_in_rupiah_and_filters_new_issues(
    client, operator, entity, data_dir, tmp_path
):
    after = with_a_price_warning()
    after[2].append(order(invoice="INV-NEW-1", organization="Bimbel Baru"))
    version, layout = preview(entity, data_dir, tmp_path, with_a_price_warning(), after)
    client.force_login(operator)
    page = preview_page(client, version)
    assert "Rp 13.400.000 → Rp 14.900.000" in page and "+Rp 1.500.000" in page  # Feb revenue
    assert "New in this version: 1" in page and layout.cell(2, 0, "Harga") in page
    new = preview_page(client, version, "?issues=new")
    assert "Issues new in this version" in new and "All 2" in new
    assert layout.cell(2, 10, "Organisasi") in new and layout.cell(2, 0, "Harga") not in new
