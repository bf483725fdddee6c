"""The demo workbook follows the DESIGN §4 contract and never trips a validation error.

Everything is checked by reading the written file back with openpyxl and parsing values
with the plain helpers below (written from the contract, not from demo.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest

from pipeline_ops.pipeline.demo.workbooks import (
    DEMO_ORGANIZATIONS,
    DEMO_PROGRAMS,
    write_demo_workbook,
)

ORDER_HEADERS = [
    "Tanggal",
    "No Invoice",
    "Nama Siswa",
    "Organisasi",
    "Kode Program",
    "Unit",
    "Harga",
    "Diskon",
    "Dibayar",
    "Metode Bayar",
    "Status",
]
BLOCKS = {
    "programs": ["Kode Program", "Nama Program", "Unit", "Harga", "Target Siswa"],
    "organizations": ["Nama Organisasi", "Kota", "Jenis"],
    "targets": ["Bulan", "Unit", "Target Pendapatan"],
}
ID_MONTHS = "januari februari maret april mei juni juli agustus september oktober november desember"
EN_MONTHS = "january february march april may june july august september october november december"
ABBREVIATIONS = "jan feb mar apr mei jun jul agu sep okt nov des"
MONEY_TEXT = re.compile(r"(?:rp\s?)?(\d{1,3}(?:\.\d{3})+|\d{1,3}(?:,\d{3})+|\d+)", re.IGNORECASE)
DATE_FORMATS = {"dd/mm/yyyy": "%d/%m/%Y", "dd-mm-yyyy": "%d-%m-%Y", "yyyy-mm-dd": "%Y-%m-%d"}


# --- plain parsing helpers (DESIGN §4) -----------------------------------------------


def norm(value) -> str:
    return " ".join(str(value).split()).casefold()


def month_form(name) -> tuple[int, str] | None:
    """(month, form) for an accepted sheet-name form, None for any other name."""
    text = norm(name)
    forms = {
        "number": [f"{m:02d}" for m in range(1, 13)],
        "abbreviation": ABBREVIATIONS.split(),
        "indonesian": ID_MONTHS.split(),
        "english": EN_MONTHS.split(),
    }
    for form, names in forms.items():
        if text in names:
            return names.index(text) + 1, form
    return (8, "abbreviation") if text in ("ags", "agt") else None


def money(value) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, int | float):
        assert float(value).is_integer(), value
        return int(value)
    match = MONEY_TEXT.fullmatch(value.strip())
    assert match, f"unparseable money {value!r}"
    return int(match.group(1).replace(".", "").replace(",", ""))


def date_of(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    for fmt in DATE_FORMATS.values():
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise AssertionError(f"unparseable date {value!r}")


def blank(row) -> bool:
    return all(cell is None or str(cell).strip() == "" for cell in row)


def header_index(rows: list[tuple], required: list[str]) -> tuple[int, dict[str, int]]:
    """First row containing every required header: (row index, header -> column index)."""
    wanted = {norm(h) for h in required}
    for index, row in enumerate(rows):
        names = {norm(cell): col for col, cell in enumerate(row) if cell is not None}
        if wanted <= names.keys():
            return index, {h: names[norm(h)] for h in [*required, "Catatan"] if norm(h) in names}
    raise AssertionError(f"no header row with {required}")


def is_total(row) -> bool:
    first = next((cell for cell in row if cell is not None and str(cell).strip()), None)
    return norm(first) in ("total", "jumlah")


def block(rows: list[tuple], headers: list[str]) -> list[dict]:
    start, cols = header_index(rows, headers)
    records = []
    for row in rows[start + 1 :]:
        if blank(row):
            break
        records.append({h: row[c] for h, c in cols.items()})
    return records


def month_orders(rows: list[tuple]) -> tuple[list[dict], list[tuple]]:
    """(orders as header -> value, totals rows) of one month sheet."""
    start, cols = header_index(rows, ORDER_HEADERS)
    orders, totals = [], []
    for row in rows[start + 1 :]:
        if blank(row):
            continue
        if is_total(row):
            totals.append(row)
            continue
        orders.append({h: row[c] for h, c in cols.items()})
    return orders, totals


# --- fixtures ------------------------------------------------------------------------


class Book:
    """The written workbook read back: REFERENSI blocks and each month's orders."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.wb = openpyxl.load_workbook(path)
        self.rows = {ws.title: list(ws.iter_rows(values_only=True)) for ws in self.wb}
        ref = self.rows["REFERENSI"]
        self.blocks = {name: block(ref, headers) for name, headers in BLOCKS.items()}
        self.months: dict[int, str] = {}
        for name in self.wb.sheetnames:
            if month_form(name):
                self.months[month_form(name)[0]] = name
        self.orders = {m: month_orders(self.rows[name])[0] for m, name in self.months.items()}

    def all_orders(self) -> list[tuple[int, dict]]:
        return [(m, order) for m, orders in self.orders.items() for order in orders]


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Book:
    path = tmp_path_factory.mktemp("demo") / "IONS-2026.xlsx"
    write_demo_workbook(path, entity="IONS", year=2026, rows_per_month=120)
    return Book(path)


def all_values(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    return {f"{ws.title}|{ws.sheet_state}": list(ws.iter_rows(values_only=True)) for ws in wb}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- structure -----------------------------------------------------------------------


def test_referensi_stacks_programs_organizations_and_targets_below_a_title(book):
    ref = book.rows["REFERENSI"]
    starts = [header_index(ref, headers)[0] for headers in BLOCKS.values()]
    assert starts[0] > 0, "a title row sits above the first block"
    assert starts == sorted(starts)
    programs, orgs = book.blocks["programs"], book.blocks["organizations"]
    assert [p["Kode Program"] for p in programs] == [p.code for p in DEMO_PROGRAMS]
    assert [money(p["Harga"]) for p in programs] == [p.price for p in DEMO_PROGRAMS]
    assert {norm(p["Unit"]) for p in programs} == {"tm", "dr"}
    assert all(isinstance(p["Target Siswa"], int) and p["Target Siswa"] > 0 for p in programs)
    assert len(orgs) == len(DEMO_ORGANIZATIONS) >= 40
    assert len({norm(o["Nama Organisasi"]) for o in orgs}) == len(orgs)
    assert all(o["Kota"] and o["Jenis"] for o in orgs)


def test_revenue_targets_cover_every_month_and_unit_once(book):
    seen = []
    for target in book.blocks["targets"]:
        bulan = target["Bulan"]
        month = bulan if isinstance(bulan, int) else month_form(bulan)[0]
        seen.append((month, norm(target["Unit"])))
        assert money(target["Target Pendapatan"]) > 0
    assert sorted(seen) == [(m, u) for m in range(1, 13) for u in ("dr", "tm")]


def test_there_are_twelve_month_sheets_with_mixed_accepted_names(book):
    forms = [month_form(name) for name in book.wb.sheetnames]
    months = sorted(form[0] for form in forms if form)
    assert months == list(range(1, 13))
    assert len({form[1] for form in forms if form}) > 1
    others = [name for name, form in zip(book.wb.sheetnames, forms, strict=True) if not form]
    assert others[0] == "REFERENSI"


def test_one_hidden_helper_sheet_is_neither_referensi_nor_a_month(book):
    hidden = [ws.title for ws in book.wb if ws.sheet_state == "hidden"]
    assert len(hidden) == 1
    assert hidden[0] != "REFERENSI" and month_form(hidden[0]) is None


def test_month_headers_sit_below_titles_and_carry_an_extra_catatan_column(book):
    notes = 0
    for name in book.months.values():
        start, cols = header_index(book.rows[name], ORDER_HEADERS)
        assert start >= 1, f"{name}: header must not be on row 1"
        assert "Catatan" in cols
        notes += sum(1 for row in book.rows[name][start + 1 :] if row[cols["Catatan"]])
    assert notes > 0


def test_every_month_ends_with_a_total_row_whose_sums_match_the_orders(book):
    for month, name in book.months.items():
        rows = book.rows[name]
        orders, totals = month_orders(rows)
        assert len(totals) == 1
        assert is_total(next(row for row in reversed(rows) if not blank(row)))
        numbers = sorted(v for v in totals[0] if isinstance(v, int))
        expected = [sum(money(o[h]) for o in orders) for h in ("Harga", "Diskon", "Dibayar")]
        assert numbers == sorted(expected), f"totals of {name} (month {month})"


def test_blank_rows_sit_between_orders_somewhere_in_the_year(book):
    inside = 0
    for name in book.months.values():
        rows = book.rows[name]
        start, _ = header_index(rows, ORDER_HEADERS)
        last_total = max(i for i, row in enumerate(rows) if not blank(row) and is_total(row))
        body = rows[start + 1 : last_total]
        inside += sum(1 for i, row in enumerate(body[:-1]) if blank(row) and not blank(body[i + 1]))
    assert inside > 0


def test_orders_per_month_follow_rows_per_month(book):
    counts = [len(book.orders[m]) for m in range(1, 13)]
    assert abs(sum(counts) - 12 * 120) <= 12 * 120 * 0.02
    assert all(80 <= count <= 160 for count in counts)


# --- untidy values -------------------------------------------------------------------


def test_money_appears_as_numbers_and_in_every_text_form(book):
    forms = set()
    for _, order in book.all_orders():
        for header in ("Harga", "Diskon", "Dibayar"):
            value = order[header]
            if isinstance(value, str):
                forms.add(re.sub(r"\d", "9", value)[:4])
    assert {"Rp 9", "Rp99"} <= forms
    assert any("." in f for f in forms) and any("," in f for f in forms)
    assert any(isinstance(o["Harga"], int) for _, o in book.all_orders())


def test_dates_are_mostly_real_dates_with_text_in_all_three_forms(book):
    values = [order["Tanggal"] for _, order in book.all_orders()]
    real = sum(isinstance(v, dt.datetime) for v in values)
    assert real > len(values) * 0.8
    texts = [v for v in values if isinstance(v, str)]
    found = set()
    for text in texts:
        for name, fmt in DATE_FORMATS.items():
            try:
                dt.datetime.strptime(text, fmt)
                found.add(name)
            except ValueError:
                pass
    assert found == set(DATE_FORMATS)


def test_units_and_statuses_come_in_mixed_case(book):
    units = {o["Unit"] for _, o in book.all_orders()}
    statuses = {o["Status"] for _, o in book.all_orders()}
    assert {"TM", "tm", "DR", "dr"} <= units
    assert {"LUNAS", "Lunas", "CICIL", "BATAL"} <= statuses


def test_the_same_student_is_typed_differently_across_months(book):
    spellings: dict[str, set[tuple[int, str]]] = defaultdict(set)
    for month, order in book.all_orders():
        spellings[norm(order["Nama Siswa"])].add((month, order["Nama Siswa"]))
    varied = [s for s in spellings.values() if len({raw for _, raw in s}) > 1]
    assert any(len({m for m, _ in s}) > 1 for s in varied)
    raw = [o["Nama Siswa"] for _, o in book.all_orders()]
    assert any("  " in name for name in raw) and any(name != name.rstrip() for name in raw)


def test_warnings_occur_but_stay_rare(book):
    prices = {p["Kode Program"]: money(p["Harga"]) for p in book.blocks["programs"]}
    units = {p["Kode Program"]: norm(p["Unit"]) for p in book.blocks["programs"]}
    listed = {norm(o["Nama Organisasi"]) for o in book.blocks["organizations"]}
    orders = [o for _, o in book.all_orders()]
    unlisted = sum(norm(o["Organisasi"]) not in listed for o in orders)
    odd_price = sum(money(o["Harga"]) != prices[o["Kode Program"]] for o in orders)
    odd_unit = sum(norm(o["Unit"]) != units[o["Kode Program"]] for o in orders)
    for count in (unlisted, odd_price, odd_unit):
        assert 0 < count < len(orders) * 0.06


# --- validation rules (DESIGN §4): none may be broken --------------------------------


def test_dates_fall_inside_their_sheets_month(book):
    for month, order in book.all_orders():
        date = date_of(order["Tanggal"])
        assert (date.year, date.month) == (2026, month), order


def test_invoices_are_unique_across_the_year(book):
    invoices = [norm(o["No Invoice"]) for _, o in book.all_orders()]
    assert all(invoices)
    assert len(set(invoices)) == len(invoices)


def test_every_order_obeys_the_money_status_and_reference_rules(book):
    codes = {p["Kode Program"] for p in book.blocks["programs"]}
    for _, order in book.all_orders():
        price, discount, paid = (money(order[h]) for h in ("Harga", "Diskon", "Dibayar"))
        status = norm(order["Status"]).upper()
        assert order["Kode Program"] in codes
        assert norm(order["Nama Siswa"])
        assert norm(order["Unit"]) in ("tm", "dr")
        assert min(price, discount, paid) >= 0
        assert discount <= price and paid <= price - discount, order
        assert status in ("LUNAS", "CICIL", "BATAL")
        if status == "LUNAS":
            assert paid == price - discount, order
        if status == "CICIL":
            assert 0 < paid < price - discount, order


@pytest.mark.parametrize(("entity", "year", "rows"), [("IONS", 2025, 40), ("ABC", 2024, 15)])
def test_other_entities_and_years_keep_the_rules_too(tmp_path, entity, year, rows):
    path = tmp_path / f"{entity}-{year}.xlsx"
    write_demo_workbook(path, entity=entity, year=year, rows_per_month=rows)
    other = Book(path)
    invoices = [o["No Invoice"] for _, o in other.all_orders()]
    assert len(set(invoices)) == len(invoices)
    for month, order in other.all_orders():
        assert (date_of(order["Tanggal"]).year, date_of(order["Tanggal"]).month) == (year, month)
        price, discount, paid = (money(order[h]) for h in ("Harga", "Diskon", "Dibayar"))
        assert 0 <= discount <= price and 0 <= paid <= price - discount
        assert f"/{entity}/{year}/" in order["No Invoice"]


# --- determinism ---------------------------------------------------------------------


def test_the_same_inputs_write_the_same_workbook(tmp_path):
    first, second = tmp_path / "a" / "IONS-2026.xlsx", tmp_path / "b" / "IONS-2026.xlsx"
    write_demo_workbook(first, entity="IONS", year=2026, rows_per_month=30)
    write_demo_workbook(second, entity="IONS", year=2026, rows_per_month=30)
    assert all_values(first) == all_values(second)
    assert sha256(first) == sha256(second), "byte-identical, so source hashes stay stable"
    props = openpyxl.load_workbook(first).properties
    assert props.created == props.modified == dt.datetime(2026, 1, 2, 8, 0)


def test_years_differ_in_orders_but_share_programs_and_organizations(tmp_path):
    books = {}
    for year in (2025, 2026):
        path = tmp_path / f"IONS-{year}.xlsx"
        write_demo_workbook(path, entity="IONS", year=year, rows_per_month=30)
        books[year] = Book(path)
    old, new = books[2025], books[2026]
    assert old.blocks["programs"] == new.blocks["programs"]
    assert old.blocks["organizations"] == new.blocks["organizations"]
    names = [[o["Nama Siswa"] for o in b.orders[1]] for b in (old, new)]
    assert names[0] != names[1]


def test_no_partial_file_is_left_beside_the_workbook(tmp_path):
    folder = tmp_path / "sources" / "IONS"
    write_demo_workbook(folder / "IONS-2026.xlsx", entity="IONS", year=2026, rows_per_month=5)
    assert [p.name for p in folder.iterdir()] == ["IONS-2026.xlsx"]
