"""One order's reports (docs/reports.md, "Where a number comes from"): `/reports/<ENTITY>/
orders/?year=…&invoice=…` lists every report whose latest build counted the order, from the
evidence the real `report` command kept; earlier builds too; hostile input answers 400/404.
The standard workbook's FEB orders: INV-2026-02000 is TM (LUNAS), 02002 DR, 02003 BATAL."""

from __future__ import annotations

import re
import shutil
from html import unescape
from urllib.parse import quote

import duckdb
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import sync_playwright

from pipeline_ops.console.order_reports import order_reports_url
from pipeline_ops.models import Entity, Report, ValidationIssue, WorkbookChange, WorkbookVersion
from pipeline_ops.pipeline.reports.links import stable_path
from pipeline_ops.pipeline.runs.notify import VIEWERS_GROUP
from tests.conftest import staff_in
from tests.test_browser import CHROMIUM_ARGS, shoot
from tests.test_report_screens import open_served

pytestmark = pytest.mark.django_db

STEMS = ("IONS-2026-02", "IONS-2026-02-TM", "IONS-2026-Q1", "IONS-2026")
PERIODS = (("--month", "2"), ("--month", "2", "--unit", "TM"),
           ("--month", "1-3", "--type", "quarterly"), ("--type", "yearly"))  # fmt: skip


def build(*period: str) -> None:
    call_command("report", "--entity", "IONS", "--year", "2026", *period, "--force")


@pytest.fixture
def built(warehouse) -> dict[str, Report]:
    """Feb 2026, its TM report, Q1 and the year, built from the shared warehouse."""
    for period in PERIODS:
        build(*period)
    return {stem: Report.objects.get(stem=stem) for stem in STEMS}


def page(client, **query) -> str:
    response = client.get(reverse("order_reports", args=["IONS"]), query)
    assert response.status_code == 200, response.content[:300]
    return unescape(response.content.decode())


def listed(html: str) -> list[str]:
    """The stems of the reports listed as counting the order, in order."""
    table = (
        html.split('id="reports"', 1)[1].split("</table>", 1)[0] if 'id="reports"' in html else ""
    )
    return re.findall(r'<span class="sub">([A-Z0-9-]+)</span>', table)


@pytest.fixture
def viewing(client, viewer):
    client.force_login(viewer)
    return client


def test_a_dr_order_is_counted_in_the_monthly_quarterly_and_yearly_reports_not_tm(built, viewing):
    html = page(viewing, year="2026", invoice="INV-2026-02002")
    assert 'Is counted in <strong id="report-count">3</strong> reports.' in html
    assert listed(html) == ["IONS-2026-02", "IONS-2026-Q1", "IONS-2026"]
    for stem in listed(html):
        assert f'href="{stable_path("IONS", stem)}"' in html
        evidence = reverse("figure_evidence", args=["IONS", stem])
        assert f'href="{evidence}?figure=revenue&program=DR-SMP-INT"' in html
    assert "Rp 900.000" in html and "INV-2026-02002 · IONS 2026" in html


def test_a_tm_order_shows_under_the_tm_unit_report_as_well(built, viewing):
    html = page(viewing, year="2026", invoice="inv-2026-02000")  # any case, as validation
    assert listed(html) == ["IONS-2026-02", "IONS-2026-02-TM", "IONS-2026-Q1", "IONS-2026"]
    assert "<h1>INV-2026-02000 · IONS 2026</h1>" in html  # spelled as the workbook has it


def test_a_cancelled_order_still_shows_under_every_report_that_counts_its_orders(built, viewing):
    html = page(viewing, year="2026", invoice="INV-2026-02003")
    assert len(listed(html)) == 4
    assert 'id="cancelled-note"' in html and "Rp 0" in html
    assert "?figure=orders&status=BATAL" in html


def evidence_row(report: Report, invoice: str) -> int:
    """The workbook row the order is on, read from the evidence file independently."""
    with duckdb.connect() as con:
        (row,) = con.execute(
            "SELECT source_row FROM read_parquet(?) WHERE invoice = ?",
            [report.evidence_path, invoice],
        ).fetchone()
    return row


def test_a_validation_issues_cell_finds_the_order_typed_on_that_row(built, viewing):
    row = evidence_row(built["IONS-2026-02"], "INV-2026-02002")
    html = page(viewing, year="2026", cell=f"FEB!J{row}")
    assert f"The order typed on <code>FEB!J{row}</code> is counted in" in html
    assert listed(html) == ["IONS-2026-02", "IONS-2026-Q1", "IONS-2026"]
    empty = page(viewing, year="2026", cell="FEB!J999")
    assert 'id="empty"' in empty and "holds an order typed on <code>FEB!J999</code>" in empty


def test_an_order_no_report_counts_gets_a_clear_empty_state(built, viewing):
    html = page(viewing, year="2026", invoice="INV-NOBODY")
    assert re.search(r"No report of IONS 2026 built since .+ counts INV-NOBODY\.", html)
    assert "Searched the latest build of 4 reports of IONS 2026" in html
    assert 'id="reports"' not in html


def test_a_rebuilt_report_that_lost_the_order_names_its_earlier_build(built, warehouse, viewing):
    with duckdb.connect(str(warehouse)) as con:  # the order's invoice corrected in the workbook
        con.execute("UPDATE mart_order_evidence SET invoice = 'INV-2026-02002-B'"
                    " WHERE invoice = 'INV-2026-02002'")  # fmt: skip
    build("--month", "2")
    html = page(viewing, year="2026", invoice="INV-2026-02002")
    assert listed(html) == ["IONS-2026-Q1", "IONS-2026"]  # not rebuilt: still count it
    earlier = html.split('id="earlier"', 1)[1].split("</ul>", 1)[0]
    first = built["IONS-2026-02"].builds.order_by("generated_at", "id").first()
    assert f"/reports/IONS/builds/{first.pk}/IONS-2026-02.html" in earlier
    assert f"/reports/IONS/builds/{first.pk}/IONS-2026-02/evidence/?figure=revenue" in earlier
    assert "the latest build no longer counts it" in earlier


def test_anonymous_visitors_are_sent_to_log_in(client, entity):
    url = order_reports_url("IONS", 2026, "INV-1")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={quote(url, safe='/')}"


def test_staff_without_view_report_get_403_and_another_entitys_viewer_404(client, entity):
    client.force_login(User.objects.create_user("sam", password="pw", is_staff=True))
    assert client.get(order_reports_url("IONS", 2026, "INV-1")).status_code == 403
    client.force_login(staff_in(VIEWERS_GROUP, "outsider", entities=None))  # no membership
    response = client.get(order_reports_url("IONS", 2026, "INV-1"))
    assert response.status_code == 404 and "No entity 'IONS'" in unescape(response.text)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"invoice": "INV-1"}, "year '' is not a year"),
        ({"year": "9" * 40, "invoice": "INV-1"}, "is not a year (2000-2100)"),
        ({"year": "２０２６", "invoice": "INV-1"}, "is not a year"),
        ({"year": "1999", "invoice": "INV-1"}, "is not a year"),
        ({"year": "2026", "invoice": "X" * 10_000}, "is not an invoice number"),
        ({"year": "2026", "invoice": "INV\x001"}, "is not an invoice number"),
        ({"year": "2026"}, "name the order by its invoice"),
        ({"year": "2026", "invoice": "INV-1", "cell": "FEB!J7"}, "name the order by its"),
        ({"year": "2026", "cell": "FEB!J7'; DROP TABLE x"}, "is not a workbook cell"),
        ({"year": "2026", "cell": "A" * 5000}, "is not a workbook cell"),
        ({"year": "2026", "invoice": "INV-1", "sort": "x"}, "unknown parameter(s): 'sort'"),
        ({"year": ["2026", "2025"], "invoice": "INV-1"}, "year is given more than once"),
    ],
)
def test_bad_queries_answer_400_with_one_line(viewing, entity, query, words):
    response = viewing.get(reverse("order_reports", args=["IONS"]), query)
    assert response.status_code == 400
    problem = re.search(r'id="problem">([^<]*)<', response.content.decode())
    assert problem and words in unescape(problem[1]) and "\n" not in problem[1]
    assert len(problem[1]) < 200


@pytest.mark.parametrize("code", ["NOPE", "X" * 10_000, "IO%00NS", "ions", "..%2F..%2Fetc"])
def test_an_unknown_or_malformed_entity_answers_404(viewing, entity, code):
    response = viewing.get(f"/reports/{code}/orders/?year=2026&invoice=INV-1")
    assert response.status_code == 404


@pytest.mark.browser
def test_the_page_fits_a_phone(built, viewing):
    response = viewing.get(order_reports_url("IONS", 2026, "INV-2026-02000"))
    body, policy = response.content, response.get("Content-Security-Policy", "")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1280, "height": 700})
        open_served(tab, "https://atlas.test/reports/IONS/orders/", body, policy)
        shoot(tab, "order-reports.png")
        tab.set_viewport_size({"width": 390, "height": 844})
        assert tab.evaluate("document.documentElement.scrollWidth") <= 390
        assert tab.locator("#reports tbody tr").count() == 4
        assert tab.locator("#reports a.evidence").first.is_visible()
        shoot(tab, "order-reports-phone.png")
        browser.close()


def test_every_other_entity_stays_out_of_the_query(built, viewing):
    Entity.objects.create(code="OTHER", name="Other")
    html = page(viewing, year="2026", invoice="INV-2026-02000")
    assert len(listed(html)) == 4  # IONS's reports only, OTHER has none
    response = viewing.get(reverse("order_reports", args=["OTHER"]),
                           {"year": "2026", "invoice": "INV-2026-02000"})  # fmt: skip
    assert response.status_code == 200 and b"keeps its orders yet" in response.content


# ---- links to the page: validation issues and the order diff ----------------------------


def issue(entity, rule: str, cell: str, month: int | None = 2, value: str = "") -> None:
    ValidationIssue.objects.create(
        entity=entity, year=2026, month=month, sheet=cell.partition("!")[0], cell=cell,
        rule=rule, severity="warning", message=rule, value=value,
    )  # fmt: skip


def links(html: str, css: str) -> list[str]:
    return [unescape(h) for h in re.findall(rf'<a href="([^"]+)"[^>]*class="{css}"', html)]


def test_an_issue_on_an_orders_row_links_to_the_reports_that_counted_that_order(
    built, viewing, entity
):
    row = evidence_row(built["IONS-2026-02"], "INV-2026-02002")
    issue(entity, "price_mismatch", f"FEB!H{row}")
    issue(entity, "duplicate_invoice", f"FEB!C{row + 40}", value="INV-2026-02002")
    issue(entity, "unknown_organization", "FEB!E5")  # many orders': no one order to name
    issue(entity, "invalid_reference", "REFERENSI!B4", month=None)
    html = viewing.get(reverse("admin:pipeline_ops_validationissue_changelist")).content.decode()
    found = links(html, "order-reports")
    assert sorted(found) == sorted([
        order_reports_url("IONS", 2026, cell=f"FEB!H{row}"),
        order_reports_url("IONS", 2026, "INV-2026-02002"),
    ])  # fmt: skip
    for url in found:
        assert listed(unescape(viewing.get(url).content.decode())) == [
            "IONS-2026-02", "IONS-2026-Q1", "IONS-2026",
        ]  # fmt: skip


def test_the_order_diffs_invoices_link_to_the_reports_that_counted_them(built, viewing, entity):
    version = WorkbookVersion.objects.create(entity=entity, year=2026, sha256="c3" * 32)
    described = {"student": "Budi Santoso", "program": "TM-SD-REG", "amount": 1_500_000,
                 "status": "LUNAS"}  # fmt: skip
    WorkbookChange.objects.create(version=version, kind="changed", month=2,
                                  invoice="INV-2026-02000",
                                  fields={"order": described, "fields": []})  # fmt: skip
    WorkbookChange.objects.create(version=version, kind="added", month=2, invoice="",
                                  fields={"order": {**described, "cell": "FEB!C40"},
                                          "fields": []})  # fmt: skip
    url = reverse("admin:pipeline_ops_workbookchange_changelist")
    html = unescape(viewing.get(url, {"version__id__exact": version.pk}).content.decode())
    target = order_reports_url("IONS", 2026, "INV-2026-02000")
    assert f'<a href="{target}" title="the reports that counted it">INV-2026-02000</a>' in html
    assert "row without invoice (FEB!C40)" in html and html.count("the reports that counted") == 1
    assert len(listed(unescape(viewing.get(target).content.decode()))) == 4


def test_an_evidence_path_outside_the_reports_folder_is_never_read(built, viewing, data_dir):
    yearly = built["IONS-2026"]
    outside = data_dir / "elsewhere.evidence.parquet"  # the same orders, in the wrong place
    shutil.copyfile(yearly.evidence_path, outside)
    Report.objects.filter(pk=yearly.pk).update(evidence_path=str(outside))
    html = page(viewing, year="2026", invoice="INV-2026-02002")
    assert listed(html) == ["IONS-2026-02", "IONS-2026-Q1"]
    assert "1 report was built before reports kept their orders" in html
