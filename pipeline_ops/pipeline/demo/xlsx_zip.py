"""Saving a demo workbook as a deterministic .xlsx (a zip archive).

openpyxl stamps every zip member with the current time and the document properties with
the save time, so two saves of the same workbook differ byte for byte. Fixing both lets
`manage.py seed --demo` produce byte-identical demo workbooks for a given seed.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter


class _FixedTimeZip(ZipFile):
    """Every member gets the same timestamp, so reseeding yields byte-identical files."""

    date_time = (2000, 1, 1, 0, 0, 0)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        self.writestr(arcname or str(filename), Path(filename).read_bytes())

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, ZipInfo):
            zinfo_or_arcname = ZipInfo(str(zinfo_or_arcname), date_time=self.date_time)
            zinfo_or_arcname.compress_type = ZIP_DEFLATED
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)


def _save(wb: Workbook, path: Path, stamp: dt.datetime) -> None:
    """Write `wb` to `path` atomically, with fixed properties and member timestamps."""
    wb.properties.creator = "Admin Keuangan"
    wb.properties.lastModifiedBy = "Admin Keuangan"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed, so readers never see a half-written workbook.
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with _FixedTimeZip(tmp, "w", ZIP_DEFLATED, allowZip64=True) as archive:
            ExcelWriter(wb, archive).save()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
