"""A source workbook is a regular file inside its sources folder, or it is refused.

`open()` on a FIFO blocks until a writer appears (forever, while `sync` holds the pipeline
lock and every entity waits), a directory or device gives a traceback, and a symlink can
point anywhere on the host. Each gets one line here, before anything reads the file.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from pipeline_ops.pipeline.errors import PipelineError

KINDS = {
    stat.S_ISDIR: "a folder",
    stat.S_ISFIFO: "a named pipe (FIFO)",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
    stat.S_ISSOCK: "a socket",
}


def check_source(path: Path) -> None:
    """Refuse anything but a regular file; a link may only point inside the file's folder."""
    if not os.path.lexists(path):
        raise PipelineError(f"Workbook not found: expected {path}")
    if path.is_symlink():
        target, folder = path.resolve(), path.parent.resolve()
        if not target.is_relative_to(folder):
            raise PipelineError(
                f"{path}: is a link to {target}, outside the sources folder {folder};"
                " copy the workbook into the folder instead"
            )
        if not target.exists():
            raise PipelineError(f"{path}: is a link to {target}, which does not exist")
    _refuse_special(path, os.stat(path).st_mode)


def _refuse_special(path: Path, mode: int) -> None:
    for test, kind in KINDS.items():
        if test(mode):
            raise PipelineError(f"{path}: is {kind}, not a workbook file")
    if not stat.S_ISREG(mode):
        raise PipelineError(f"{path}: is not a regular file")


def read_head(path: Path, size: int) -> bytes:
    """The first bytes of a checked source, opened so that it can never block: if the file
    was swapped for a FIFO after `check_source`, O_NONBLOCK returns at once and fstat
    refuses it."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        _refuse_special(path, os.fstat(fd).st_mode)
        return os.read(fd, size)
    finally:
        os.close(fd)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
