"""Files of intake (worker only): reading stored uploads, and writing into `sources/` —
atomic replace and the kept accepted versions. Nothing is read from outside the upload
store or the sources folder (workbook/sources.open_source)."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO

from django.db.models.fields.files import FieldFile

from pipeline_ops.pipeline.workbook.sources import open_source


def replace_atomically(source: BinaryIO, dest: Path) -> None:
    """Write to a temporary file in the destination's folder, fsync, rename: a reader sees
    the old workbook or the new one, never half of one, and a crash leaves the old one.
    The rename replaces whatever name is at `dest` (a link is replaced, never followed)."""
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


def open_upload(upload: FieldFile) -> BinaryIO:
    """A version's stored file. On a local disk it is opened like a source workbook, inside
    the storage's folder: a link or FIFO planted in MEDIA_ROOT is refused (one line), never
    read into a preview or copied into sources/."""
    try:
        path = Path(upload.path)
    except NotImplementedError:  # object storage: no local name to swap
        return upload.open("rb")
    return open_source(path, Path(upload.storage.location), "upload folder")


def keep(source: BinaryIO, path: Path, sha256: str) -> Path:
    """A content-addressed copy beside the workbook, `.versions/<sha256>.xlsx`, written from
    `source` (the version's upload; never read back from `path`, which may have changed).
    Only a regular file there counts as kept: a link planted under that name is replaced."""
    kept = path.parent / ".versions" / f"{sha256}.xlsx"
    try:
        present = stat.S_ISREG(os.lstat(kept).st_mode)
    except FileNotFoundError:
        present = False
    if not present:
        replace_atomically(source, kept)
    return kept
