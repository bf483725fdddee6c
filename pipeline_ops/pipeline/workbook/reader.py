"""Reading a source workbook (docs/workbooks.md): open it, name its sheets, find its tables.

Sheets are read by fastexcel (calamine), in the reader's jail (jail.py), as all-string Arrow
columns; typing happens later in
DuckDB SQL (see typing.py). Only header detection looks at cells from Python, and only at
the first rows of a sheet (REFERENSI is small, so its blocks are scanned whole).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.workbook.budget import column_letters
from pipeline_ops.pipeline.workbook.jail import Jail
from pipeline_ops.pipeline.workbook.limits import limit
from pipeline_ops.pipeline.workbook.sources import check_source, read_head

HEADER_SCAN_ROWS = 60
REFERENCE_SHEET = "referensi"

_MONTH_WORDS = [
    ("jan", "januari", "january"),
    ("feb", "februari", "february", "pebruari"),
    ("mar", "maret", "march"),
    ("apr", "april"),
    ("mei", "may"),
    ("jun", "juni", "june"),
    ("jul", "juli", "july"),
    ("agu", "ags", "agt", "agustus", "august", "aug"),
    ("sep", "september", "sept"),
    ("okt", "oktober", "october", "oct"),
    ("nov", "november", "nopember"),
    ("des", "desember", "december", "dec"),
]
MONTH_WORDS: dict[str, int] = (
    {word: number for number, words in enumerate(_MONTH_WORDS, 1) for word in words}
    | {f"{n:02d}": n for n in range(1, 13)}
    | {str(n): n for n in range(1, 13)}
)
SHORT_NAMES = ["JAN", "FEB", "MAR", "APR", "MEI", "JUN", "JUL", "AGU", "SEP", "OKT", "NOV", "DES"]


def norm_header(value: object) -> str:
    """Header text compared case-insensitively, trimmed, inner whitespace collapsed."""
    text = re.sub(r"\s+", " ", str(value or "").replace("\xa0", " ")).strip().lower()
    return text.rstrip(".:").strip()


def month_of_sheet(name: str) -> int | None:
    return MONTH_WORDS.get(norm_header(name))


def column_letter(index: int) -> str:
    """0-based absolute column index → Excel letters (0 → A, 27 → AB)."""
    return column_letters(index + 1)


@dataclass
class Sheet:
    """One sheet as strings: row i of `data` is Excel row i + 1; `letters` name its columns."""

    name: str
    data: pa.RecordBatch
    letters: list[str]

    def head(self, rows: int = HEADER_SCAN_ROWS) -> list[list[str | None]]:
        sliced = self.data.slice(0, rows)
        columns = [col.to_pylist() for col in sliced.columns]
        return [list(row) for row in zip(*columns, strict=True)] if columns else []


class Workbook:
    """An opened source workbook, parsed in the reader's jail (jail.py). Raises PipelineError
    (naming the file) for non-workbooks. Use it as a context manager, or `close()` it: that
    ends the child and removes its scratch folder."""

    def __init__(self, path: Path):
        self.path = path
        check_file(path)
        self.jail = Jail(path)
        self.sheet_names = [str(name) for name in self.jail.names]

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.jail.close()

    def prefetch(self, names: list[str]) -> None:
        """Queue sheets for the child to read ahead, in this order (REFERENSI with its row
        limit: ask for it as `reference()` will)."""
        for name in names:
            rows = limit("WORKBOOK_MAX_REFERENCE_ROWS") if _is_reference(name) else None
            self.jail.request(name, rows)

    def sheet(self, name: str, *, max_rows: int | None = None) -> Sheet:
        read = self.jail.read(name, max_rows)
        return Sheet(name, read.data, read.letters)

    def reference(self) -> Sheet:
        """REFERENSI, whose rows header detection walks in Python: its length is bounded."""
        name = self.reference_sheet()
        return self.sheet(name, max_rows=limit("WORKBOOK_MAX_REFERENCE_ROWS"))

    def month_sheets(self) -> dict[int, str]:
        found: dict[int, str] = {}
        for name in self.sheet_names:
            month = month_of_sheet(name)
            if month is None:
                continue
            if month in found:
                raise PipelineError(
                    f"{self.path}: sheets '{found[month]}' and '{name}' are both month {month};"
                    " keep one."
                )
            found[month] = name
        return found

    def reference_sheet(self) -> str:
        for name in self.sheet_names:
            if _is_reference(name):
                return name
        raise PipelineError(
            f"{self.path}: no REFERENSI sheet (sheets: {', '.join(self.sheet_names) or 'none'})"
        )


def _is_reference(name: str) -> bool:
    return norm_header(name) == REFERENCE_SHEET


def check_file(path: Path) -> None:
    """Name the common non-workbooks before calamine gives a zip error about them."""
    check_source(path)
    magic = read_head(path, 8)
    if not magic:
        raise PipelineError(f"{path}: the file is empty (0 bytes), not an .xlsx workbook")
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise PipelineError(
            f"{path}: the file is password-protected (encrypted) or an old .xls workbook;"
            " save it unprotected as .xlsx"
        )
    if not magic.startswith(b"PK"):
        kind = "text (a CSV renamed .xlsx?)" if _looks_like_text(path) else "not a workbook"
        raise PipelineError(f"{path}: the file is {kind}; save it from Excel as .xlsx")


def _looks_like_text(path: Path) -> bool:
    text = read_head(path, 4096).decode("utf-8", "replace")
    return text.count("\ufffd") <= 3 and "\0" not in text
