"""What reading one workbook may cost: the budget's limits and the reader's jail, all
settings (WORKBOOK_*, docs/configuration.md). No Django at import: the jail's child reads
them as a dict.
"""

from __future__ import annotations

MIB = 1 << 20
# Sized so that a workbook inside every limit is read within the reader's memory: calamine
# keeps a whole sheet (32 bytes a cell of its used range, plus each cell's text; with the
# Arrow copy ≈ 170 bytes a cell: a full 1,048,575-row sheet of 12 columns needs > 2 GiB)
# and the shared strings inflated; a sheet over BIG_SHEET cells is read alone
# (jail_child.py). docs/operations.md, "Memory", says what a worker needs.
DEFAULTS = {
    "WORKBOOK_MAX_BYTES": 200 * MIB,  # the .xlsx file itself
    "WORKBOOK_MAX_ENTRIES": 2_000,  # files inside the zip
    "WORKBOOK_MAX_ENTRY_BYTES": 512 * MIB,  # one inflated sheet (500,000 rows ≈ 300 MiB)
    "WORKBOOK_MAX_PART_BYTES": 256 * MIB,  # any other part: calamine holds it whole
    "WORKBOOK_MAX_TOTAL_BYTES": 1_024 * MIB,  # all entries inflated
    "WORKBOOK_MAX_RATIO": 100,  # inflated / compressed, for entries over RATIO_FLOOR
    "WORKBOOK_MAX_CELLS": 6_000_000,  # a sheet's used range (500,000 rows of 12 columns)
    "WORKBOOK_MAX_REFERENCE_ROWS": 20_000,  # REFERENSI is read row by row in Python
    "WORKBOOK_READER_MEMORY": 2_048 * MIB,  # the jailed reader's address space
    "WORKBOOK_READER_SECONDS": 120,  # the jailed reader's wall time (and CPU seconds)
}
BIG_SHEET = 2_000_000  # cells; smaller sheets are read two at a time


def limit(name: str) -> int:
    from django.conf import settings  # here, not at import: the jail's child has no Django

    return int(getattr(settings, name, DEFAULTS[name]))


def limits() -> dict[str, int]:
    """Every limit, as the jail's child receives them."""
    return {name: limit(name) for name in DEFAULTS}
