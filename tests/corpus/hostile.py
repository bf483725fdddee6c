"""Workbooks built to hurt the reader (issue "trust boundary"): ranges that would make
calamine allocate hundreds of GiB, zip bombs, control characters, odd file types.

Each builder writes one file (or a FIFO, folder or link) at the target path.
"""

from __future__ import annotations

import os
import re
import struct
import zipfile
import zlib
from pathlib import Path

from .builders import _edit, base, orders

FAR_CELL = "XFD1048576"  # Excel's last cell: 1,048,576 × 16,384 cells ≈ 512 GiB in calamine


def _rezip(path: Path, change) -> None:
    """Rewrite the zip with `change(name, data) -> data` applied to every entry."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            target.writestr(info.filename, change(info.filename, data))


def far_cell(path: Path) -> None:
    """A valid February plus one cell at XFD1048576: a 6 KB file."""
    base(path)
    _edit(path, "FEB", lambda ws: ws.__setitem__(FAR_CELL, "x"))


def far_cell_without_dimension(path: Path) -> None:
    """The same, with the sheet's declared range removed: only a scan can find the cell."""
    far_cell(path)
    _rezip(path, lambda name, data: re.sub(rb"<dimension [^>]*/>", b"", data))


def _far_cell_as(path: Path, change) -> None:
    """far_cell with FEB's XML (sheet2.xml) rewritten by `change`, its dimension removed."""
    far_cell(path)
    _rezip(
        path,
        lambda name, data: (
            change(re.sub(rb"<dimension [^>]*/>", b"", data))
            if name.endswith("sheet2.xml")
            else data
        ),
    )


def far_cell_single_quoted(path: Path) -> None:
    """`<c r='XFD1048576'>`: XML allows either quote; a `r="…"` pattern sees nothing."""
    _far_cell_as(path, lambda data: data.replace(b'r="XFD1048576"', b"r='XFD1048576'"))


def far_cell_spaced(path: Path) -> None:
    """`<c r = "XFD1048576">`: spaces around `=` are legal XML too."""
    _far_cell_as(path, lambda data: data.replace(b'r="XFD1048576"', b'r = "XFD1048576"'))


def far_row_without_cell_references(path: Path) -> None:
    """Row 1,048,576 whose cells carry no `r` (a reader places them by position); the row
    is wide, so its last cell sits in column XFD."""
    wide = b"".join(b'<c t="inlineStr"><is><t>x</t></is></c>' for _ in range(16_384))
    _far_cell_as(
        path,
        lambda data: re.sub(rb'<row r="1048576">.*?</row>', b'<row r="1048576">' + wide
                            + b"</row>", data),
    )  # fmt: skip


def understated_dimension(path: Path) -> None:
    """Declares A1:L4 but holds a cell at XFD1048576: only reading the sheet can tell."""
    _far_cell_as(
        path, lambda data: data.replace(b"<sheetData>", b'<dimension ref="A1:L4"/><sheetData>')
    )


def dimension_in_a_comment(path: Path) -> None:
    """A small `<dimension>` inside an XML comment, the real one removed."""
    _far_cell_as(
        path,
        lambda data: data.replace(b"<sheetData>", b'<!-- <dimension ref="A1:B2"/> --><sheetData>'),
    )


def sheet_part_in_other_case(path: Path) -> None:
    """The relationship names `SHEET2.xml` (single-quoted): calamine finds the part anyway."""
    far_cell_without_dimension(path)
    _rezip(
        path,
        lambda name, data: (
            data.replace(
                b'Target="/xl/worksheets/sheet2.xml" Id="rId2"',
                b"Target='/xl/worksheets/SHEET2.xml' Id='rId2'",
            )
            if name.endswith("workbook.xml.rels")
            else data
        ),
    )


def shared_strings_size_lie(path: Path, inflated: int = 1 << 30) -> None:
    """sharedStrings.xml declares 200 bytes in the zip but inflates to `inflated` (1 GiB): a
    1 MB file. The entry's sizes are patched in both headers after zipping. A full flush
    ends each 1 MiB block with no history, so one compressed block repeats (fast to build)."""
    base(path)
    entry = b"<si><t>" + b"x" * 4083 + b"</t></si>"
    head = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(entry * 256) + packer.flush(zlib.Z_FULL_FLUSH)
    body = start + block * (inflated // (len(entry) * 256))
    body += packer.compress(b"</sst>") + packer.flush()
    _add_lying_entry(path, "xl/sharedStrings.xml", body, declared=200)


def worksheet_size_lie(path: Path) -> None:
    """A worksheet part declaring 200 bytes over 64 KiB of compressed random-looking data:
    deflate cannot shrink anything that far, so the size is a lie."""
    base(path)
    data = b"".join(f'<c r="A{n}"><v>{n * 7919 % 104729}</v></c>'.encode() for n in range(80_000))
    _add_lying_entry(path, "xl/worksheets/sheet9.xml", zlib.compress(data, 9)[2:-4], declared=200)


def _add_lying_entry(path: Path, name: str, deflated: bytes, declared: int) -> None:
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, b"x" * declared)  # a placeholder with the declared size
    data = path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    start = info.header_offset + 30 + len(name.encode()) + len(info.extra)
    data = data[:start] + deflated + data[start + info.compress_size :]
    shift = len(deflated) - info.compress_size
    data = _patch_sizes(data, name.encode(), info.header_offset, len(deflated), shift)
    path.write_bytes(data)


def _patch_sizes(data: bytes, name: bytes, offset: int, size: int, shift: int) -> bytes:
    """The compressed size in the local header and in the central directory (which moved by
    `shift`); the uncompressed size stays the lie."""
    out = bytearray(data)
    struct.pack_into("<I", out, offset + 18, size)
    eocd = out.rfind(b"PK\x05\x06")
    at = struct.unpack_from("<I", out, eocd + 16)[0] + shift
    struct.pack_into("<I", out, eocd + 16, at)
    while out[at : at + 4] == b"PK\x01\x02":
        n, m, k = struct.unpack_from("<HHH", out, at + 28)
        if out[at + 46 : at + 46 + n] == name:
            struct.pack_into("<I", out, at + 20, size)
        at += 46 + n + m + k
    return bytes(out)


def oversized_declared_range(path: Path) -> None:
    """A sloppy writer: declares A1:XFD1048576 but uses a few rows. Must still load."""
    base(path)
    _rezip(
        path,
        lambda name, data: re.sub(
            rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', data
        ),
    )


def zip_bomb(path: Path) -> None:
    """FEB padded with 40 MiB of whitespace between elements: inflates ~1,000 times."""
    base(path)
    padding = b" " * (40 << 20)

    def pad(name: str, data: bytes) -> bytes:
        return (
            data.replace(b"</sheetData>", b"</sheetData>" + padding)
            if name.endswith("sheet2.xml")
            else data
        )

    _rezip(path, pad)


def many_entries(path: Path) -> None:
    """3,000 tiny files inside the zip."""
    base(path)
    with zipfile.ZipFile(path, "a") as archive:
        for i in range(3_000):
            archive.writestr(f"customXml/item{i}.xml", b"<a/>")


def control_characters(path: Path) -> None:
    """`_x001B_` escapes that calamine decodes into ESC and BEL."""
    base(
        path,
        orders(
            student="Budi_x001B_[2J Santoso",
            organization="SD_x0007_ Harapan",
            price="1.500.000_x0007_",
            paid=1_500_000,
        ),
    )


def fifo(path: Path) -> None:
    path.unlink(missing_ok=True)  # replaces the earlier sync's workbook
    os.mkfifo(path)


def folder(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.mkdir()


def link_outside_sources(path: Path) -> None:
    """A symlink to a valid workbook outside the sources folder."""
    outside = path.parent.parent.parent / "elsewhere" / "secret.xlsx"
    outside.parent.mkdir(parents=True, exist_ok=True)
    base(outside)
    path.unlink(missing_ok=True)
    path.symlink_to(outside)


def link_inside_sources(path: Path) -> None:
    """A symlink to a workbook in the same folder is allowed (a 'current' pointer)."""
    target = path.parent / "IONS-2026-v2.xlsx"
    base(target)
    path.unlink(missing_ok=True)
    path.symlink_to(target.name)


# --- numbers too large for their column (issue 21, item 3) -------------------------------
# Each is a data error naming its cell, never a DuckDB ConversionException; JAN is clean, so
# a month's errors are seen to block only that month.

HUGE = 10**30  # no money column holds it: Harga, Diskon and Dibayar are BIGINT rupiah
THREE_BILLION = 3_000_000_000  # over Target Siswa's INTEGER (at most 2,147,483,647)


def _with_clean_january(path: Path, february: list[dict], **kwargs) -> None:
    from tests.workbooks import build_workbook

    build_workbook(path, months={1: orders(month=1), 2: february}, **kwargs)


def huge_price(path: Path) -> None:
    """FEB's second order costs 10^30 rupiah."""
    rows = orders()
    rows[1]["price"] = HUGE
    _with_clean_january(path, rows)


def huge_negative_discount(path: Path) -> None:
    """FEB's second order has a Diskon of -10^30 (too small for a BIGINT)."""
    rows = orders()
    rows[1]["discount"] = -HUGE
    _with_clean_january(path, rows)


def target_of_three_billion(path: Path) -> None:
    """REFERENSI: the first program (TM-SD-REG, row 2) wants 3,000,000,000 students."""
    from tests.workbooks import PROGRAMS

    programs = [dict(PROGRAMS[0], target=THREE_BILLION), *PROGRAMS[1:]]
    _with_clean_january(path, orders(), programs=programs)


def amounts_adding_past_bigint(path: Path) -> None:
    """Each Harga fits a BIGINT (5 × 10^18), FEB's two together do not: the marts' monthly
    revenue would overflow."""
    big = 5 * 10**18
    _with_clean_january(path, orders(2, price=big, paid=big))


def infinite_date(path: Path) -> None:
    """A Tanggal typed as `infinity`, which DuckDB reads as a timestamp with no year."""
    rows = orders()
    rows[1]["date"] = "infinity"
    _with_clean_january(path, rows)


def huge_numbers(path: Path) -> None:
    """All of it in one workbook: Harga 10^30 and Diskon -10^30 on FEB, Target Siswa
    3,000,000,000 in REFERENSI."""
    from tests.workbooks import PROGRAMS

    rows = orders()
    rows[0]["price"] = HUGE
    rows[1]["discount"] = -HUGE
    programs = [dict(PROGRAMS[0], target=THREE_BILLION), *PROGRAMS[1:]]
    _with_clean_january(path, rows, programs=programs)


def harga_minus_diskon_past_bigint(path: Path) -> None:
    """Harga 9 × 10^18 and Diskon -9 × 10^18 on one row: each fits a BIGINT, Harga − Diskon
    (the preview's revenue, the rules' net) does not."""
    rows = orders()
    rows[1].update(price=9 * 10**18, discount=-9 * 10**18)
    _with_clean_january(path, rows)
