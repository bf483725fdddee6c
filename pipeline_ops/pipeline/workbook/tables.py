"""Finding the tables inside a sheet by their headers: the orders table of a month sheet and
the stacked programs / organizations / targets blocks of REFERENSI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.workbook.reader import Sheet, norm_header


@dataclass(frozen=True)
class TableSpec:
    """A table found by its headers: header text → field name; `required` headers locate it."""

    name: str
    fields: dict[str, str]
    required: tuple[str, ...]


ORDERS = TableSpec(
    "orders",
    {
        "Tanggal": "order_date", "No Invoice": "invoice", "Nama Siswa": "student_name",
        "Organisasi": "organization", "Kode Program": "program_code", "Unit": "unit",
        "Harga": "price", "Diskon": "discount", "Dibayar": "paid",
        "Metode Bayar": "payment_method", "Status": "status",
    },
    ("Tanggal", "No Invoice", "Nama Siswa", "Kode Program", "Harga", "Dibayar", "Status"),
)  # fmt: skip
PROGRAMS = TableSpec(
    "programs",
    {"Kode Program": "program_code", "Nama Program": "program_name", "Unit": "unit",
     "Harga": "price", "Target Siswa": "target_students"},
    ("Kode Program", "Nama Program", "Unit", "Harga", "Target Siswa"),
)  # fmt: skip
ORGANIZATIONS = TableSpec(
    "organizations",
    {"Nama Organisasi": "organization", "Kota": "city", "Jenis": "kind"},
    ("Nama Organisasi",),
)
TARGETS = TableSpec(
    "targets",
    {"Bulan": "month", "Unit": "unit", "Target Pendapatan": "revenue_target"},
    ("Bulan", "Unit", "Target Pendapatan"),
)
REFERENCE_SPECS = (PROGRAMS, ORGANIZATIONS, TARGETS)


class SheetProblem(PipelineError):
    """A month sheet whose table cannot be found or typed: it blocks that month only, as an
    error addressed by sheet and header row (`MAR!1:1`); the other sheets go on."""

    def __init__(self, path: Path, sheet: str, row: int, rule: str, message: str):
        super().__init__(f"{path} sheet {sheet}: {message}")
        self.sheet, self.row, self.rule, self.problem = sheet, row, rule, message

    @property
    def cell(self) -> str:
        return f"{self.sheet}!{self.row}:{self.row}"


@dataclass
class Located:
    """A table inside a sheet: header row, data rows [start, end) and field → column index."""

    spec: TableSpec
    sheet: Sheet
    header_index: int
    end_index: int
    columns: dict[str, int]

    def letters(self) -> dict[str, str]:
        return {field: self.sheet.letters[i] for field, i in self.columns.items()}


def header_positions(row: list[str | None], spec: TableSpec) -> dict[str, int]:
    """Field → column index for the spec's headers present in `row` (first one wins)."""
    wanted = {norm_header(h): field for h, field in spec.fields.items()}
    found: dict[str, int] = {}
    for index, cell in enumerate(row):
        field = wanted.get(norm_header(cell))
        if field and field not in found:
            found[field] = index
    return found


def _has_required(row: list[str | None], spec: TableSpec) -> bool:
    present = {norm_header(c) for c in row if c is not None}
    return all(norm_header(h) in present for h in spec.required)


def find_header(rows: list[list[str | None]], spec: TableSpec, start: int = 0) -> int | None:
    for index in range(start, len(rows)):
        if _has_required(rows[index], spec):
            return index
    return None


def locate_month_table(sheet: Sheet, path: Path) -> Located:
    rows = sheet.head()
    index = find_header(rows, ORDERS)
    if index is None:
        row, rule, message = _missing_columns(rows, ORDERS)
        raise SheetProblem(path, sheet.name, row, rule, message)
    return Located(ORDERS, sheet, index, sheet.data.num_rows, header_positions(rows[index], ORDERS))


def _missing_columns_message(rows, spec: TableSpec, sheet: str, path: Path) -> str:
    _row, _rule, message = _missing_columns(rows, spec)
    return f"{path} sheet {sheet}: {message}"


def _missing_columns(rows, spec: TableSpec) -> tuple[int, str, str]:
    """(header row, rule, message) naming the missing headers on the row that looks most
    like the header row."""
    best, best_count = None, 1
    for index, row in enumerate(rows):
        present = {norm_header(c) for c in row if c is not None}
        count = sum(norm_header(h) in present for h in spec.required)
        if count > best_count:
            best, best_count = index, count
    if best is None:
        expected = ", ".join(spec.required)
        return 1, "missing_header", f"no header row with the {spec.name} columns ({expected})"
    present = {norm_header(c) for c in rows[best] if c is not None}
    missing = [h for h in spec.required if norm_header(h) not in present]
    label = "column" if len(missing) == 1 else "columns"
    names = ", ".join(f"'{m}'" for m in missing)
    message = f"missing required {label} {names} (header row {best + 1})"
    return best + 1, "missing_column", message


def _blank(row: list[str | None]) -> bool:
    return all(c is None or not str(c).strip() for c in row)


def locate_reference(sheet: Sheet, path: Path) -> dict[str, Located]:
    """Stacked blocks: each ends at the first completely blank row or the next block's header."""
    rows = sheet.head(sheet.data.num_rows)
    headers = {spec.name: find_header(rows, spec) for spec in REFERENCE_SPECS}
    if headers["programs"] is None:
        raise PipelineError(_missing_columns_message(rows, PROGRAMS, sheet.name, path))
    starts = {i for i in headers.values() if i is not None}
    found: dict[str, Located] = {}
    for spec in REFERENCE_SPECS:
        index = headers[spec.name]
        if index is None:
            continue
        end = index + 1
        while end < len(rows) and not _blank(rows[end]) and end not in starts:
            end += 1
        columns = header_positions(rows[index], spec)
        found[spec.name] = Located(spec, sheet, index, end, columns)
    return found
