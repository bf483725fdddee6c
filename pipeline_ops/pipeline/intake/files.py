"""Writing into `sources/` (worker only): atomic replace and the kept accepted versions."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO


def replace_atomically(source: BinaryIO, dest: Path) -> None:
    """Write to a temporary file in the destination's folder, fsync, rename: a reader sees
    the old workbook or the new one, never half of one, and a crash leaves the old one."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=".intake-", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            shutil.copyfileobj(source, out, 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        os.replace(name, dest)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    folder = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a power cut
    finally:
        os.close(folder)


def keep(path: Path, sha256: str) -> Path:
    """A content-addressed copy beside the workbook: `.versions/<sha256>.xlsx`."""
    kept = path.parent / ".versions" / f"{sha256}.xlsx"
    if not kept.exists():
        with open(path, "rb") as source:
            replace_atomically(source, kept)
    return kept
