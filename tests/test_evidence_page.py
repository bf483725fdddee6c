"""A figure's evidence page (docs/reports.md, "Where a number comes from"): every figure a
report names opens the orders that make it, whose parts add up to it to the rupiah; behind
the report's own guard, for the build it was linked from, and never a 500 whatever the query.

Reports are built from the shared warehouse (tests/warehouse_fixtures.py) by the real
command; the 120k-order year is a synthetic evidence file of the same columns.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from pipeline_ops.console.evidence_downloads import XLSX_ROWS
from pipeline_ops.console.evidence_page import amount_text
from pipeline_ops.models import Entity, Report, ReportBuild, WorkbookVersion
from pipeline_ops.pipeline.evidence.figures import parse_id
from pipeline_ops.pipeline.evidence.store import COLUMNS
from pipeline_ops.pipeline.reports.labels import number
from pipeline_ops.pipeline.reports.links import evidence_link, evidence_query
from pipeline_ops.pipeline.stages.present import render_html
from tests.warehouse_fixtures import more_cancelled_february_orders

pytestmark = pytest.mark.django_db

PAGE = "/reports/IONS/IONS-2026-02/evidence/"
HOSTILE = '=HYPERLINK("http://evil.example","click")'


def build_report(*flags: str) -> Report:
    call_command("report", "--entity", "IONS", "--year", "2026", *flags, "--force")
    return Report.objects.order_by("-updated", "-id").first()


def page_of(report: Report, figure_id: str, build: ReportBuild | None = None) -> str:
    folder = f"/reports/IONS/builds/{build.pk}/" if build else "/reports/IONS/"
    return folder + evidence_link(report.stem, parse_id(figure_id))


def csv_rows(client, url: str) -> list[dict]:
    response = client.get(url + "&format=csv")
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def footer_total(html: str) -> str:
    return re.search(r'id="footer-total"[^>]*>([^<]*)<', html).group(1)


def amount(row: dict) -> int:
    part = next(key for key in row if key.endswith("(part of the figure)"))
    return int(row[part])


def one_line(response) -> str:
    text = re.search(r'id="problem">([^<]*)<', response.content.decode()).group(1)
    assert "\n" not in text and len(text) < 400, text
    return text


@pytest.fixture
def monthly(warehouse, entity) -> Report:
    return build_report("--month", "2")


@pytest.fixture
def viewing(client, viewer):
    client.force_login(viewer)
    return client


# ---- every figure adds up -----------------------------------------------------------------


@pytest.mark.parametrize("flags", [("--month", "2"), ("--month", "1-3", "--type", "quarterly"),
                                   ("--type", "yearly")])  # fmt: skip
def test_every_figure_of_a_report_opens_orders_whose_parts_sum_to_it(
    warehouse, entity, viewing, flags
):
    report = build_report(*flags)
    figures = report_json(report)["figures"]
    assert len(figures) > 10
    for figure in figures:
        url = page_of(report, figure["id"])
        response = viewing.get(url)
        assert response.status_code == 200, url
        shown = amount_text(parse_id(figure["id"]), figure["value"])
        assert footer_total(response.content.decode()) == shown, figure
        assert f'id="figure-total">{shown}<' in response.content.decode()
        rows = csv_rows(viewing, url)
        assert sum(amount(r) for r in rows) == figure["value"], figure
        if figure["figure"] == "orders":
            assert len(rows) == figure["value"]


def report_json(report: Report) -> dict:
    import json

    return json.loads(Path(report.json_path).read_text())


def test_the_page_says_the_figure_in_words_with_its_total_and_its_orders(monthly, viewing):
    html = viewing.get(f"{PAGE}?figure=revenue&unit=TM").content.decode()
    report = report_json(monthly)
    tm = next(u for u in report["revenue"]["by_unit"] if u["unit"] == "TM")
    assert "<h1>Revenue · TM · IONS report — February 2026</h1>" in html
    assert f'id="figure-total">{amount_text(parse_id("revenue"), tm["actual"])}<' in html
    rows = csv_rows(viewing, f"{PAGE}?figure=revenue&unit=TM")
    assert {r["Unit"] for r in rows} == {"TM"} and "BATAL" not in {r["Status"] for r in rows}
    for row in rows:  # each order links to its reports and names its cell
        assert f"?year=2026&amp;invoice={row['Invoice']}" in html
        assert f'<code class="cell">{row["Cell"]}</code>' in html
        assert re.fullmatch(r"FEB!H\d+", row["Cell"]), row["Cell"]  # Harga: revenue's cell
    amounts = [amount(r) for r in rows]
    assert amounts == sorted(amounts, reverse=True)  # largest part first


# ---- who may look -------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_log_in_and_back(monthly, client):
    response = client.get(f"{PAGE}?figure=revenue")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert "evidence" in response["Location"]


def test_staff_without_view_report_are_refused(monthly, client):
    client.force_login(User.objects.create_user("sam", password="pw", is_staff=True))
    assert client.get(f"{PAGE}?figure=revenue").status_code == 403
    assert client.get(f"{PAGE}?figure=revenue&format=csv").status_code == 403


def test_a_unit_reports_evidence_never_shows_another_units_orders(warehouse, entity, viewing):
    report = build_report("--month", "2", "--unit", "TM")
    for figure in report_json(report)["figures"]:
        rows = csv_rows(viewing, page_of(report, figure["id"]))
        assert {r["Unit"] for r in rows} <= {"TM"}, figure
    base = page_of(report, "revenue")
    html = viewing.get(base).content.decode()
    assert '<option value="DR"' not in html and '<option value="TM"' in html
    assert csv_rows(viewing, base + "&f_unit=DR") == []
    assert csv_rows(viewing, page_of(report, "revenue") + "&unit=DR") == []


# ---- builds keep their own evidence -------------------------------------------------------


def test_a_rebuilt_reports_old_build_keeps_its_own_evidence(monthly, warehouse, viewing):
    before = report_json(monthly)["orders"]["total"]
    more_cancelled_february_orders(warehouse)
    report = build_report("--month", "2")
    old, new = ReportBuild.objects.order_by("id")
    counts = {}
    for name, build in (("old", old), ("new", new), ("latest", None)):
        rows = csv_rows(viewing, page_of(report, "orders", build))
        counts[name] = (len(rows), sum(r["Invoice"].startswith("X-") for r in rows))
    assert counts == {"old": (before, 0), "new": (before + 7, 7), "latest": (before + 7, 7)}
    html = viewing.get(page_of(report, "orders", old)).content.decode()
    assert f"build {old.pk} of" in html and f'href="/reports/IONS/builds/{old.pk}/' in html


def test_a_build_from_before_evidence_was_kept_says_so(monthly, viewing):
    old = ReportBuild.objects.create(report=monthly, generated_at=monthly.updated,
                                     json_path=monthly.json_path)  # fmt: skip
    response = viewing.get(page_of(monthly, "revenue", old))
    assert response.status_code == 404
    assert "built before reports kept the orders" in one_line(response)


def test_evidence_of_another_report_or_entity_is_not_found(monthly, viewing):
    Entity.objects.create(code="OTHER", name="Other")
    build = ReportBuild.objects.get()
    for url in ("/reports/OTHER/IONS-2026-02/evidence/?figure=revenue",
                "/reports/IONS/IONS-2026-03/evidence/?figure=revenue",
                f"/reports/OTHER/builds/{build.pk}/IONS-2026-02/evidence/?figure=revenue",
                f"/reports/IONS/builds/{build.pk}/IONS-2026-01/evidence/?figure=revenue",
                f"/reports/IONS/builds/{'9' * 30}/IONS-2026-02/evidence/?figure=revenue",
                "/reports/IONS/..%2F..%2Fsecret/evidence/?figure=revenue",
                f"/reports/IONS/{'A' * 200}/evidence/?figure=revenue"):  # fmt: skip
        assert viewing.get(url).status_code == 404, url


def test_an_evidence_path_outside_the_reports_folder_is_never_read(monthly, viewing, data_dir):
    outside = data_dir / "elsewhere.parquet"
    outside.write_bytes(Path(monthly.evidence_path).read_bytes())
    Report.objects.filter(pk=monthly.pk).update(evidence_path=str(outside))
    assert viewing.get(f"{PAGE}?figure=revenue").status_code == 404


# ---- hostile queries ----------------------------------------------------------------------


@pytest.mark.parametrize("query, words", [
    ("", "figure is required"),
    ("figure=profit", "unknown figure 'profit'"),
    ("figure=revenue&month=13", "month '13' is not 1-12"),
    ("figure=revenue&day=notadate", "is not a date"),
    ("figure=revenue&status=PAID", "status 'PAID' is not one of"),
    ("figure=revenue&page=-1", "is not a page number"),
    ("figure=revenue&page=0", "is not a page number"),
    ("figure=revenue&page=abc", "is not a page number"),
    ("figure=revenue&program=" + "X" * 10_000, "is not a code"),
    ("figure=revenue&program=TM%00SD", "is not a code"),
    ("figure=revenue&unit=T%00M", "is not a code"),
    ("figure=rev%00enue", "unknown figure"),
    ("figure=revenue&f_status=NOPE", "status 'NOPE' is not one of"),
    ("figure=revenue&unit=TM&f_unit=DR", "contradicts the figure's own unit"),
    ("figure=revenue&format=pdf", "format 'pdf' is not one of"),
    ("figure=revenue&unit=TM&unit=DR", "unit is given more than once"),
    ("figure=revenue&sort=amount", "unknown parameter(s): 'sort'"),
    ("figure=revenue&%00=1", "unknown parameter(s)"),
])  # fmt: skip
def test_a_hostile_query_gets_one_line_saying_what_is_wrong(monthly, viewing, query, words):
    response = viewing.get(f"{PAGE}?{query}")
    assert response.status_code == 400, query
    assert words in one_line(response).replace("&#x27;", "'"), one_line(response)


def test_a_page_beyond_the_end_is_the_last_page(monthly, viewing):
    for page in ("2", "999999999", "9" * 10_000, "0" * 20 + "1"):
        response = viewing.get(f"{PAGE}?figure=orders&page={page}")
        assert response.status_code == 200, page[:20]
        html = response.content.decode()
        assert "Orders 1–10 of 10" in html and footer_total(html) == "10"


# ---- the workbook version ----------------------------------------------------------------


def test_each_order_links_the_stored_workbook_version_holding_it(monthly, viewing, entity):
    (sha,) = {r["Workbook sha256"] for r in csv_rows(viewing, f"{PAGE}?figure=orders")}
    html = viewing.get(f"{PAGE}?figure=orders").content.decode()
    assert 'class="version"' not in html  # no stored version: the hash alone
    assert f'<code title="{sha}">{sha[:12]}</code>' in html
    version = WorkbookVersion.objects.create(entity=entity, year=2026, sha256=sha)
    version.upload.save("IONS-2026.xlsx", ContentFile(b"PK workbook"))
    download = reverse("admin:pipeline_ops_workbookversion_download", args=[version.pk])
    html = viewing.get(f"{PAGE}?figure=orders").content.decode()
    assert html.count(f'<a class="version" href="{download}"') == 10
    assert viewing.get(download).status_code == 200


# ---- narrowing ----------------------------------------------------------------------------


def test_narrowing_a_figure_says_its_total_is_no_longer_the_figure(monthly, viewing):
    everything = csv_rows(viewing, f"{PAGE}?figure=revenue")
    html = viewing.get(f"{PAGE}?figure=revenue&f_status=LUNAS").content.decode()
    lunas = [r for r in everything if r["Status"] == "LUNAS"]
    assert lunas and len(lunas) < len(everything)
    assert footer_total(html) == amount_text(parse_id("revenue"), sum(map(amount, lunas)))
    assert "Narrowed to status LUNAS: this total is not the figure" in html
    whole = amount_text(parse_id("revenue"), sum(map(amount, everything)))
    assert f'id="figure-total">{whole}<' in html
    assert csv_rows(viewing, f"{PAGE}?figure=revenue&f_status=LUNAS") == lunas
    # The figure's own filter is shown as the figure's, not offered as a narrowing box.
    fixed = viewing.get(f"{PAGE}?figure=revenue&unit=TM").content.decode()
    assert 'name="f_unit"' not in fixed and '<span class="chip">unit TM</span>' in fixed
    assert '<input type="hidden" name="unit" value="TM">' in fixed


# ---- downloads ----------------------------------------------------------------------------


def test_the_xlsx_download_holds_every_row_with_cells_and_names_as_text(warehouse, entity, viewing):
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "UPDATE mart_order_evidence SET student_name = ? WHERE invoice = ("
            " SELECT min(invoice) FROM mart_order_evidence WHERE year = 2026 AND month = 2"
            " AND NOT is_cancelled)", [HOSTILE],
        )  # fmt: skip
    build_report("--month", "2")
    response = viewing.get(f"{PAGE}?figure=revenue&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert 'filename="IONS-2026-02-revenue.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Orders"]
    header, *rows = list(sheet.iter_rows())
    names = [c.value for c in header]
    assert names[:10] == ["Invoice", "Date", "Student", "Program", "Program name", "Unit",
                          "Status", "Harga", "Diskon", "Dibayar"]  # fmt: skip
    students = [row[2] for row in rows]
    hostile = next(c for c in students if c.value == HOSTILE)
    assert hostile.data_type == "s"  # text, never a formula
    cells = [row[names.index("Cell")] for row in rows]
    assert all(c.data_type == "s" and re.fullmatch(r"FEB!H\d+", c.value) for c in cells)
    revenue = report_json(Report.objects.get())["revenue"]["actual"]
    assert sum(row[names.index("Revenue (part of the figure)")].value for row in rows) == revenue
    # The CSV keeps it from being read as a formula too.
    assert any(r["Student"] == "'" + HOSTILE for r in csv_rows(viewing, f"{PAGE}?figure=revenue"))


# ---- links in the report ------------------------------------------------------------------


def test_every_figure_of_the_html_report_links_to_its_evidence(warehouse, entity):
    report = build_report("--type", "yearly")
    html = Path(report.html_path).read_text()
    hrefs = set(re.findall(r'href="([^"]*/evidence/[^"]*)"', html))
    ids = {f["id"] for f in report_json(report)["figures"]}
    linked = set()
    for href in hrefs:
        path, _, query = href.replace("&amp;", "&").partition("?")
        assert path == "IONS-2026/evidence/", href  # relative: works at any build's address
        pairs = dict(parse_qsl(query))
        kind = pairs.pop("figure")
        linked.add(parse_id(f"{kind}?{'&'.join(f'{k}={v}' for k, v in pairs.items())}").id)
    assert linked == ids
    assert re.search(
        r'<a href="IONS-2026/evidence/\?figure=revenue&amp;month=\d+"><g class="col">', html
    )  # a chart's bar
    assert "@media print" in html and "a.fig, a.card .v { text-decoration: none; }" in html


def test_a_report_json_from_before_evidence_renders_without_links(monthly):
    report = report_json(monthly)
    del report["figures"]
    html = render_html(report)
    assert "/evidence/" not in html and 'id="revenue-actual"' in html


def test_a_relative_link_opens_the_evidence_of_the_build_it_was_read_at(monthly, viewing):
    build = ReportBuild.objects.get()
    link = evidence_link(monthly.stem, parse_id("revenue?unit=TM"))
    for html_url in (f"/reports/IONS/{monthly.stem}.html",
                     f"/reports/IONS/builds/{build.pk}/{monthly.stem}.html"):  # fmt: skip
        folder = html_url.rsplit("/", 1)[0]
        assert viewing.get(f"{folder}/{link}").status_code == 200
        assert urlsplit(f"{folder}/{link}").query == evidence_query(parse_id("revenue?unit=TM"))


def test_the_admin_preview_opens_the_report_at_its_stable_address(monthly, viewing):
    preview = reverse("admin:pipeline_ops_report_download", args=[monthly.pk, "preview"])
    response = viewing.get(preview)
    assert (response.status_code, response["Location"]) == (302, "/reports/IONS/IONS-2026-02.html")


# ---- a 120k-order year --------------------------------------------------------------------


def big_year(entity: Entity, data_dir: Path, orders: int = 120_000) -> Report:
    """A yearly report's evidence of `orders` orders (synthetic, the columns store.py keeps)."""
    folder = data_dir / "reports" / "IONS"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "IONS-2026.evidence.parquet"
    n = range(orders)
    prices = [500_000 + (i % 97) * 10_000 for i in n]
    cancelled = [i % 11 == 0 for i in n]
    revenue = [0 if c else p for p, c in zip(prices, cancelled, strict=True)]
    columns = {
        "entity": ["IONS"] * orders, "year": [2026] * orders, "month": [i % 12 + 1 for i in n],
        "invoice": [f"INV-{i:06d}" for i in n],
        "order_date": [date(2026, i % 12 + 1, 1) + timedelta(days=i % 28) for i in n],
        "student_name": [f"Student {i}" for i in n], "organization": ["Org"] * orders,
        "program_code": [f"P-{i % 40:02d}" for i in n], "program_name": ["Program"] * orders,
        "unit": ["TM" if i % 3 else "DR" for i in n],
        "status": ["BATAL" if c else "LUNAS" for c in cancelled], "is_cancelled": cancelled,
        "price": prices, "discount": [0] * orders, "paid": revenue, "revenue": revenue,
        "collected": revenue, "outstanding": [0] * orders,
        "enrollments": [0 if c else 1 for c in cancelled], "sheet": ["JAN"] * orders,
        "source_row": [i + 5 for i in n], "invoice_cell": [f"JAN!C{i + 5}" for i in n],
        "price_cell": [f"JAN!H{i + 5}" for i in n], "discount_cell": [f"JAN!I{i + 5}" for i in n],
        "paid_cell": [f"JAN!J{i + 5}" for i in n], "workbook_sha256": ["c" * 64] * orders,
    }  # fmt: skip
    pq.write_table(pa.table({name: columns[name] for name in COLUMNS}), path, compression="zstd")
    return Report.objects.create(
        entity=entity, year=2026, month_start=1, month_end=12, type="yearly", label="2026",
        stem="IONS-2026", json_path=str(folder / "IONS-2026.json"), evidence_path=str(path),
    )  # fmt: skip


def test_any_figure_of_a_120k_order_year_pages_its_orders_and_totals_them_all(
    entity, data_dir, viewing
):
    """Its speed (≤ 0.5 s) is `make bench`'s row (bench/bench_evidence.py), not a test's."""
    big_year(entity, data_dir)
    base = "/reports/IONS/IONS-2026/evidence/?figure="
    for query, orders in (("revenue", 109_090), ("orders&f_status=LUNAS", 109_090),
                          ("enrollments&unit=TM&page=999999", 72_727)):  # fmt: skip
        response = viewing.get(base + query)
        assert response.status_code == 200, query
        html = response.content.decode()
        assert f"Total of all {number(orders)} " in html, query  # the report's own style
        body = html.split("<tbody", 1)[1].split("</tbody>", 1)[0]
        assert 0 < body.count("<tr") <= 50, query


def test_an_xlsx_download_too_big_to_write_in_a_request_points_to_the_csv(
    entity, data_dir, viewing
):
    big_year(entity, data_dir, orders=XLSX_ROWS + 12)  # `orders` counts BATAL ones too
    response = viewing.get("/reports/IONS/IONS-2026/evidence/?figure=orders&format=xlsx")
    assert response.status_code == 413
    text = response.content.decode()
    assert "10,012 orders are too many" in text and "CSV" in text and "\n" not in text
    assert (
        viewing.get("/reports/IONS/IONS-2026/evidence/?figure=orders&format=csv").status_code == 200
    )


def test_pages_hold_fifty_orders_and_link_each_other(entity, data_dir, viewing):
    big_year(entity, data_dir, orders=130)
    base = "/reports/IONS/IONS-2026/evidence/?figure=orders"
    first = viewing.get(base).content.decode()
    assert first.count('class="invoice"') == 50 and "page 1 of 3" in first
    assert 'href="?figure=orders&amp;page=2" rel="next"' in first
    last = viewing.get(base + "&page=3").content.decode()
    assert last.count('class="invoice"') == 30 and "Orders 101–130 of 130" in last
    assert footer_total(last) == "130"  # the whole figure, not the page
