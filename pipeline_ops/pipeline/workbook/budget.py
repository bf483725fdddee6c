"""What a workbook may cost: the reader's fast first line, checked before calamine allocates.

calamine holds a sheet as one block of cells spanning its used range (32 bytes a cell), so
one cell at XFD1048576 asks for 512 GiB and the process aborts; a zip entry can inflate a
thousandfold. Both are refused here from what the file declares: the zip's central directory
(entries, sizes, ratios) and each sheet's `<dimension>` element, read from the first bytes
of the sheet. A sheet that declares no dimension, or one over the limit, is scanned for the
cells it really uses, so a sloppy writer's oversized declaration is not refused by mistake.
The limits are settings (WORKBOOK_MAX_*, docs/configuration.md).

What a file says about itself can lie (an understated `<dimension>`, a size the zip does not
keep), so this is not the last line: it runs inside the reader's jail (jail_child.py), whose
memory and time limits stop what gets past it. This module imports nothing from Django at
load time, so the jail's child starts fast; the limits reach it as a dict.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.text import printable
from pipeline_ops.pipeline.workbook.entries import impossibly_small, inflates_beyond
from pipeline_ops.pipeline.workbook.limits import DEFAULTS, MIB
from pipeline_ops.pipeline.workbook.limits import limits as all_limits

RATIO_FLOOR = 10 * MIB  # small entries (styles, a short sheet) compress very well honestly
HEAD_BYTES = 64 * 1024  # <dimension> comes before <sheetData>, well inside this
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384  # Excel's own grid

# XML lets an attribute be quoted either way and have spaces around `=`; a writer may do both.
_Q = rb"\s*=\s*[\"']"
_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\s+ref" + _Q + rb"([A-Za-z$]*\d*)(?::([A-Za-z$]*\d*))?[\"']"
)
_COMMENT = re.compile(rb"<!--.*?-->", re.S)
_REF = re.compile(r"\$?([A-Za-z]{1,4})\$?(\d{1,9})")
_COLUMN = re.compile(rb"\sr" + _Q + rb"\$?([A-Za-z]{1,4})\$?\d")  # a cell's reference
_ROW_NUMBER = re.compile(rb"\sr" + _Q + rb"(?:\$?[A-Za-z]{1,4}\$?)?(\d{1,9})[\"']")  # cell/row
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?/?>")
_ATTR = re.compile(rb"([\w:]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_REL = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*?/?>")


def _attrs(tag: bytes) -> dict[bytes, bytes]:
    return {k.split(b":")[-1]: a or b for k, a, b in _ATTR.findall(tag)}


@dataclass(frozen=True)
class UsedRange:
    rows: int
    columns: int
    text: str

    @property
    def cells(self) -> int:
        return self.rows * self.columns


def column_number(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def _range(first: tuple[int, int], last: tuple[int, int], text: str) -> UsedRange:
    return UsedRange(abs(last[0] - first[0]) + 1, abs(last[1] - first[1]) + 1, text)


def _cell(ref: bytes | str) -> tuple[int, int] | None:
    text = ref.decode("ascii", "replace") if isinstance(ref, bytes) else ref
    match = _REF.fullmatch(text)
    return (int(match.group(2)), column_number(match.group(1))) if match else None


class WorkbookBudget:
    """Opened once per Workbook; `check_sheet` runs before each sheet is loaded."""

    def __init__(self, path: Path, limits: dict[str, int] | None = None):
        self.path = path
        self.limits = limits if limits is not None else all_limits()
        size = path.stat().st_size
        if size > self.limit("WORKBOOK_MAX_BYTES"):
            self._refuse(f"the file is {_mib(size)}", "WORKBOOK_MAX_BYTES", _mib)
        try:
            self.zip = zipfile.ZipFile(path)
            # Readers find `SHEET2.xml` for `sheet2.xml`: parts are looked up in any case.
            self.parts = {n.lower(): n for n in self.zip.namelist()}
            self._check_entries(self.zip.infolist())
            self.sheet_files = self._sheet_files()
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise PipelineError(f"{path}: not a readable .xlsx workbook ({exc})") from None

    def limit(self, name: str) -> int:
        return self.limits.get(name, DEFAULTS[name])

    def _refuse(self, what: str, setting: str, shown=lambda n: f"{n:,}") -> None:
        raise PipelineError(
            f"{self.path}: {what}; the limit is {shown(self.limit(setting))} ({setting})"
        )

    def _check_entries(self, entries: list[zipfile.ZipInfo]) -> None:
        if len(entries) > self.limit("WORKBOOK_MAX_ENTRIES"):
            self._refuse(f"the zip holds {len(entries):,} files", "WORKBOOK_MAX_ENTRIES")
        for entry in entries:
            name = printable(entry.filename)
            if entry.file_size > self.limit("WORKBOOK_MAX_ENTRY_BYTES"):
                what = f"{name} inflates to {_mib(entry.file_size)}"
                self._refuse(what, "WORKBOOK_MAX_ENTRY_BYTES", _mib)
            ratio = entry.file_size / max(entry.compress_size, 1)
            if entry.file_size > RATIO_FLOOR and ratio > self.limit("WORKBOOK_MAX_RATIO"):
                what = f"{name} inflates {ratio:,.0f} times ({_mib(entry.file_size)})"
                self._refuse(what, "WORKBOOK_MAX_RATIO", lambda n: f"{n:,} times")
            if impossibly_small(entry):
                self._refuse_lie(entry, name)
            if not _is_worksheet(entry.filename):
                self._check_part(entry, name)
        total = sum(e.file_size for e in entries)
        if total > self.limit("WORKBOOK_MAX_TOTAL_BYTES"):
            self._refuse(f"its files inflate to {_mib(total)}", "WORKBOOK_MAX_TOTAL_BYTES",
                         _mib)  # fmt: skip

    def _check_part(self, entry: zipfile.ZipInfo, name: str) -> None:
        """Shared strings, styles…: read whole by calamine, so smaller, and truthful (sheets
        are streamed: a size lie that looks possible meets the reader's limits)."""
        if entry.file_size > self.limit("WORKBOOK_MAX_PART_BYTES"):
            what = f"{name} inflates to {_mib(entry.file_size)}"
            self._refuse(what, "WORKBOOK_MAX_PART_BYTES", _mib)
        if inflates_beyond(self.path, entry):
            self._refuse_lie(entry, name)

    def _refuse_lie(self, entry: zipfile.ZipInfo, name: str) -> None:
        raise PipelineError(
            f"{self.path}: {name} inflates to more than the {_mib(entry.file_size)}"
            " its zip declares; the file was altered or damaged"
        )

    def _sheet_files(self) -> dict[str, str]:
        """Sheet name → its XML part, from workbook.xml and its relationships."""
        rels = {}
        for tag in _REL.findall(self._small("xl/_rels/workbook.xml.rels")):
            attrs = _attrs(tag)
            target = attrs.get(b"Target", b"").decode("utf-8", "replace").lstrip("/")
            rels[attrs.get(b"Id")] = target if target.startswith("xl/") else f"xl/{target}"
        found = {}
        for tag in _SHEET.findall(self._small("xl/workbook.xml")):
            attrs = _attrs(tag)
            name = _unescape(attrs.get(b"name", b"").decode("utf-8", "replace"))
            found[name] = self._part(rels.get(attrs.get(b"id"), ""))
        return found

    def _part(self, name: str) -> str:
        """The zip entry a relationship names, in whatever letter case the zip has it."""
        return self.parts.get(name.lower(), "")

    def _small(self, name: str) -> bytes:
        part = self._part(name)
        return self.zip.read(part) if part else b""

    def check_sheet(self, name: str, *, max_rows: int | None = None) -> UsedRange | None:
        part = self.sheet_files.get(name)
        if not part:
            return None  # not a worksheet we can see; calamine names the problem itself
        try:
            used = self._declared(part)
            if used is None or used.cells > self.limit("WORKBOOK_MAX_CELLS"):
                used = self._scanned(part)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise PipelineError(
                f"{self.path} sheet {printable(name)}: cannot read ({exc})"
            ) from None
        where = f"sheet {printable(name)} uses {used.text}"
        if used.cells > self.limit("WORKBOOK_MAX_CELLS"):
            self._refuse(f"{where} ({used.cells:,} cells)", "WORKBOOK_MAX_CELLS",
                         lambda n: f"{n:,} cells")  # fmt: skip
        if max_rows is not None and used.rows > max_rows:
            self._refuse(f"{where} ({used.rows:,} rows)", "WORKBOOK_MAX_REFERENCE_ROWS",
                         lambda n: f"{n:,} rows")  # fmt: skip
        return used

    def _declared(self, part: str) -> UsedRange | None:
        with self.zip.open(part) as stream:
            head = stream.read(HEAD_BYTES)
        match = _DIMENSION.search(_COMMENT.sub(b"", head))
        if not match:
            return None
        first = _cell(match.group(1))
        last = _cell(match.group(2)) if match.group(2) else first
        if first is None or last is None:
            return None
        text = re.split(rb"[\"']", match.group(0))[1].decode("ascii", "replace")
        return _range(first, last, text)

    def _scanned(self, part: str) -> UsedRange:
        """Every cell and row reference in the sheet (linear in its inflated size, which the
        entry limits above bound). Chunks overlap so a reference split between two reads is
        still seen whole; distinct column letters are few, so they are collected as a set."""
        rows: list[int] = []
        letters: set[bytes] = set()
        tail = b""
        with self.zip.open(part) as stream:
            while chunk := stream.read(8 * MIB):
                data = tail + chunk
                numbers = [int(n) for n in _ROW_NUMBER.findall(data)]
                rows += [min(numbers), max(numbers)] if numbers else []
                letters.update(_COLUMN.findall(data))
                tail = data[-64:]
        if not rows:
            return UsedRange(0, 0, "no cells")
        columns = [column_number(c.decode().upper()) for c in letters] or [1]
        first, last = (min(rows), min(columns)), (max(rows), max(columns))
        return _range(
            first, last, f"{column_letters(first[1])}{first[0]}:{column_letters(last[1])}{last[0]}"
        )


def _is_worksheet(name: str) -> bool:
    return name.lower().startswith("xl/worksheets/")


def column_letters(number: int) -> str:
    """1-based column number → Excel letters (1 → A, 28 → AB); no upper bound, so a hostile
    reference can still be named."""
    letters = ""
    while number:
        number, rem = divmod(number - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
        .replace("&apos;", "'").replace("&amp;", "&")
    )  # fmt: skip


def _mib(size: int) -> str:
    return f"{size / MIB:,.0f} MiB" if size >= MIB else f"{size:,} bytes"
