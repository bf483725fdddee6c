"""The bad-input corpus: broken and odd workbooks (built in `builders`), each with the
outcome the pipeline must produce. Used by tests/test_corpus.py; listed in docs/workbooks.md.

Outcomes:
- `Ok`: extract, load and validate succeed; `orders` rows per month; exactly `warnings`.
- `Issues`: extract and load succeed, validate fails on exactly `errors` (cell → rule and a
  fragment of the message) and `warnings`.
- `Rejected`: extract refuses the file with one line naming it and saying `says`; nothing
  is written (extracts and raw tables stay as they were).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.workbooks import PROGRAMS

from . import builders as b
from . import hostile as h
from .builders import cell


@dataclass(frozen=True)
class Ok:
    orders: dict[int, int]
    warnings: dict[str, str] = field(default_factory=dict)  # cell → rule
    values: dict[str, list] = field(default_factory=dict)  # raw_orders column → values


@dataclass(frozen=True)
class Issues:
    errors: dict[str, tuple[str, str]]  # cell → (rule, message fragment)
    warnings: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rejected:
    says: str


Outcome = Ok | Issues | Rejected


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], object]
    outcome: Outcome
    bug: str = ""  # a known pipeline bug this case exposes, until it is fixed

    def __str__(self) -> str:
        return self.name


DUPLICATE_PROGRAM_ROW = 1 + len(PROGRAMS) + 1  # header row 1, then the programs, then the copy

CASES = [
    # files that are not usable workbooks
    Case("empty_file", lambda p: p.write_bytes(b""), Rejected("the file is empty (0 bytes)")),
    Case("broken_zip", b.broken_zip, Rejected("sheet FEB: cannot read")),
    Case("truncated", b.truncated, Rejected("not a readable .xlsx workbook")),
    Case("zip_of_text", b.zip_of_text, Rejected("not a readable .xlsx workbook")),
    Case("old_xls", b.old_xls, Rejected("an old .xls workbook; save it unprotected as .xlsx")),
    Case(
        "ods",
        build=b.ods,
        outcome=Rejected("an OpenDocument spreadsheet (.ods); save it from"),
    ),
    Case("html_table", b.html_table, Rejected("the file is text")),
    # sheets
    Case("no_reference", b.no_reference, Rejected("no REFERENSI sheet (sheets: FEB)")),
    Case("reference_only", b.reference_only, Rejected("no month sheets")),
    Case("unknown_sheets_only", b.unknown_sheets_only, Rejected("found Sheet1, Rekap")),
    Case(
        "two_sheets_one_month",
        b.two_sheets_one_month,
        Rejected("sheets 'FEB' and 'Februari' are both month 2"),
    ),
    Case("hidden_month_sheet", b.hidden_month_sheet, Ok({2: 3, 3: 2})),
    Case("hidden_other_sheet", b.hidden_other_sheet, Ok({2: 3})),
    Case("empty_month_sheet", b.empty_month_sheet, Ok({2: 3})),  # a tab made in advance
    Case(
        "header_only",
        build=b.header_only,
        outcome=Ok({2: 0}),
    ),
    Case(
        "total_only",
        build=b.total_only,
        outcome=Ok({2: 0}),
    ),
    Case("month_sheet_names_with_spaces", b.month_sheet_names_with_spaces, Ok({2: 3})),
    # headers
    Case("merged_title_cells", b.merged_title_cells, Ok({2: 3})),
    Case(
        "merged_header_cells",  # a sheet without its table blocks its month only
        b.merged_header_cells,
        Issues({"FEB!1:1": ("missing_column", "missing required column 'Tanggal' (header row 1)")}),
    ),
    Case(
        "duplicated_headers",
        b.duplicated_headers,
        Ok({2: 3}, values={"price": [1_500_000] * 3}),
    ),
    Case("header_in_row_50", b.header_in_row_50, Ok({2: 3})),
    Case(
        "header_too_deep",
        b.header_too_deep,
        Issues({"FEB!1:1": ("missing_header", "no header row with the orders columns")}),
    ),
    Case("very_wide_sheet", b.very_wide_sheet, Ok({2: 3})),
    Case(
        "missing_programs_block",
        b.missing_programs_block,
        Rejected("sheet REFERENSI: no header row with the programs columns"),
    ),
    Case(
        "duplicate_program_codes",
        b.duplicate_program_codes,
        Issues({f"REFERENSI!A{DUPLICATE_PROGRAM_ROW}": ("invalid_reference", "listed twice")}),
    ),
    # values
    Case(
        "error_values",
        build=b.error_values,
        outcome=Issues(
            {
                cell(0, "Harga"): ("invalid_money", "Harga '#REF!' is not an amount"),
                cell(1, "Dibayar"): ("invalid_money", "Dibayar '#DIV/0!' is not an amount"),
                cell(2, "Tanggal"): ("invalid_date", "Tanggal '#N/A' is not a date"),
            }
        ),
    ),
    Case(
        "dates_1900_and_2100",
        b.dates_1900_and_2100,
        Issues(
            {
                cell(0, "Tanggal"): ("date_outside_month", "01/01/1900 is outside FEB 2026"),
                cell(1, "Tanggal"): ("date_outside_month", "31/12/2100 is outside FEB 2026"),
            }
        ),
    ),
    Case(
        "huge_amounts",
        b.huge_amounts,
        Issues(
            {cell(1, "Harga"): ("invalid_money", "100000000000000000000 is too large (at most")},
            warnings={cell(0, "Harga"): "price_mismatch"},
        ),
    ),
    Case(
        "negative_amounts",
        b.negative_amounts,
        Issues(
            {
                cell(0, "Diskon"): ("negative_money", "Diskon -50000 is negative"),
                cell(0, "Dibayar"): ("lunas_underpaid", "Dibayar 1500000 is less than"),
                cell(1, "Dibayar"): ("negative_money", "Dibayar -1500000 is negative"),
            }
        ),
    ),
    Case(
        "long_cells",
        build=b.long_cells,
        outcome=Issues(
            {cell(1, "Kode Program"): ("unknown_program", f"Kode Program '{'A' * 59}…' is not")}
        ),
    ),
    Case(
        "unicode_names",
        b.unicode_names,
        Ok(
            {2: len(b.UNICODE_NAMES)},
            warnings={cell(0, "Organisasi"): "unknown_organization"},
            values={"student_name": b.UNICODE_NAMES},
        ),
    ),
    Case(
        "text_in_numeric_columns",
        b.text_in_numeric_columns,
        Issues(
            {
                cell(0, "Harga"): ("invalid_money", "Harga 'satu juta' is not an amount"),
                cell(1, "Diskon"): ("invalid_money", "Diskon 'gratis' is not an amount"),
            }
        ),
    ),
    Case(
        "booleans_in_cells",
        b.booleans_in_cells,
        Issues(
            {
                cell(0, "Harga"): ("invalid_money", "Harga 'true' is not an amount"),
                cell(1, "Status"): ("unknown_status", "Status 'false' is not LUNAS"),
            }
        ),
    ),
    Case(
        "dates_as_numbers",
        b.dates_as_numbers,
        Issues({cell(0, "Tanggal"): ("invalid_date", "Tanggal '20260203' is not a date")}),
    ),
    Case(
        "whitespace_only_cells",
        b.whitespace_only_cells,
        Issues(
            {
                cell(0, "Nama Siswa"): ("blank_student", "Nama Siswa is blank"),
                cell(1, "Harga"): ("invalid_money", "Harga is blank"),
            }
        ),
    ),
    Case("numeric_invoices", b.numeric_invoices, Ok({2: 2}, values={"invoice": ["1001", "1002"]})),
    Case(
        "formulas_without_cached_values",
        b.formulas_without_cached_values,
        Issues({cell(0, "Dibayar"): ("lunas_underpaid", "Dibayar 0 is less than")}),
    ),
    Case("blank_rows_and_stray_numbers", b.blank_rows_and_stray_numbers, Ok({2: 3})),
    Case(
        "mixed_case_and_nbsp",
        b.mixed_case_and_nbsp,
        Ok({2: 2}, values={"status": ["LUNAS"] * 2, "unit": ["TM"] * 2, "paid": [1_500_000] * 2}),
    ),
    # hostile: what the reader would pay for, and what it would echo (docs/reliability.md)
    Case(
        "far_cell",
        h.far_cell,
        Rejected("sheet FEB uses A1:XFD1048576 (17,179,869,184 cells); the limit is 6,000,000"),
    ),
    Case(
        "far_cell_without_dimension",
        h.far_cell_without_dimension,
        Rejected("sheet FEB uses A1:XFD1048576 (17,179,869,184 cells)"),
    ),
    Case("far_cell_single_quoted", h.far_cell_single_quoted, Rejected("FEB uses A1:XFD1048576")),
    Case("far_cell_spaced", h.far_cell_spaced, Rejected("FEB uses A1:XFD1048576")),
    Case(
        "far_row_without_cell_references",
        h.far_row_without_cell_references,
        Rejected("(WORKBOOK_MAX_CELLS)"),
    ),
    Case("dimension_in_a_comment", h.dimension_in_a_comment, Rejected("FEB uses A1:XFD1048576")),
    Case("sheet_part_in_other_case", h.sheet_part_in_other_case, Rejected("FEB uses A1:XFD10")),
    Case(
        "understated_dimension",
        h.understated_dimension,
        Rejected("the reader ran out of its 2 GiB memory limit (WORKBOOK_READER_MEMORY) on sheet"),
    ),
    Case(
        "shared_strings_size_lie",
        h.shared_strings_size_lie,
        Rejected("xl/sharedStrings.xml inflates to more than the 200 bytes its zip declares"),
    ),
    Case("oversized_declared_range", h.oversized_declared_range, Ok({2: 3})),
    Case("zip_bomb", h.zip_bomb, Rejected("inflates 1,")),
    Case("many_entries", h.many_entries, Rejected("the zip holds 3,0")),
    Case(
        "control_characters",
        h.control_characters,
        Ok(
            {2: 3},
            values={
                "student_name": ["Budi[2J Santoso"] * 3,
                "organization": ["SD Harapan"] * 3,
                "price": [1_500_000] * 3,
                "price_raw": ["1.500.000\x07"] * 3,
            },
        ),
    ),
    Case("fifo", h.fifo, Rejected("is a named pipe (FIFO), not a workbook file")),
    Case("folder", h.folder, Rejected("is a folder, not a workbook file")),
    Case("link_outside_sources", h.link_outside_sources, Rejected("outside the sources folder")),
    Case("link_inside_sources", h.link_inside_sources, Ok({2: 3})),
]

BY_NAME = {case.name: case for case in CASES}
