"""Workbooks built to hurt the reader (issue "trust boundary"): ranges that would make
calamine allocate hundreds of GiB, zip bombs, control characters, odd file types.

Each builder writes one file (or a FIFO, folder or link) at the target path.
"""

from __future__ import annotations

import os
import re
import zipfile
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
