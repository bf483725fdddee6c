"""A source workbook is a regular file inside its sources folder, or it is refused.

`open()` on a FIFO blocks until a writer appears (forever, while `sync` holds the pipeline
lock and every entity waits), a directory or device gives a traceback, and a symlink can
point anywhere on the host (`/proc/self/environ`: the worker's secrets). Each gets one line
here, before anything reads the file. `open_source` is the one way the product opens a file
in `sources/` (or a stored upload): it checks again what it really opened, so a file swapped
between the check and the open is refused, never read.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import BinaryIO

from pipeline_ops.pipeline.errors import PipelineError

KINDS = {
    stat.S_ISDIR: "a folder",
    stat.S_ISFIFO: "a named pipe (FIFO)",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
    stat.S_ISSOCK: "a socket",
}


def check_source(path: Path, folder: Path | None = None, label: str = "sources folder") -> None:
    """Refuse anything but a regular file; a link may only point inside `folder` (default:
    the file's own folder; `label` names it in the message)."""
    if not os.path.lexists(path):
        raise PipelineError(f"Workbook not found: expected {path}")
    try:
        if path.is_symlink():
            target = path.resolve()
            _refuse_outside(path, target, folder or path.parent, label)
            if not target.exists():
                raise PipelineError(f"{path}: is a link to {target}, which does not exist")
        _refuse_special(path, os.stat(path).st_mode)
    except OSError as exc:  # the name changed while it was looked at (swapped, removed)
        raise PipelineError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _refuse_outside(path: Path, target: Path, folder: Path, label: str) -> None:
    real = folder.resolve()
    if not target.is_relative_to(real):
        raise PipelineError(
            f"{path}: is a link to {target}, outside the {label} {real};"
            " copy the workbook into the folder instead"
        )


# O_NONBLOCK: a FIFO swapped in after the check opens at once (and fstat refuses it)
# instead of waiting for a writer. O_NOCTTY: a terminal never becomes ours.
_READ = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)


def open_source(path: Path, folder: Path | None = None, label: str = "sources folder") -> BinaryIO:
    """`path` opened for reading, or PipelineError (one line) if it is not a regular file
    inside `folder` (default: its own folder). `check_source` names the problem first; then
    what was really opened is checked again through its descriptor (its type, and its real
    path), so nothing swapped in between the two is ever read."""
    folder = folder or path.parent
    check_source(path, folder, label)
    try:
        fd = os.open(path, _READ)
    except OSError as exc:  # removed, unreadable, or a socket (ENXIO) since the check
        raise PipelineError(f"{path}: cannot be opened ({exc.strerror})") from None
    try:
        _refuse_special(path, os.fstat(fd).st_mode)
        _refuse_outside(path, _opened_path(fd, path), folder, label)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _opened_path(fd: int, path: Path) -> Path:
    """Where the open descriptor really points (Linux: /proc/self/fd, whatever links the
    name went through). Elsewhere: the name resolved now, if it is still the file opened."""
    try:
        return Path(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        pass
    try:
        target = path.resolve()
        if os.path.samestat(os.fstat(fd), os.stat(target)):
            return target
    except OSError:
        pass
    raise PipelineError(f"{path}: changed while it was being opened")


def _refuse_special(path: Path, mode: int) -> None:
    for test, kind in KINDS.items():
        if test(mode):
            raise PipelineError(f"{path}: is {kind}, not a workbook file")
    if not stat.S_ISREG(mode):
        raise PipelineError(f"{path}: is not a regular file")


def read_head(path: Path, size: int) -> bytes:
    """The first bytes of a source, through `open_source` (never blocks, never outside)."""
    with open_source(path) as handle:
        return handle.read(size)


def file_sha256(path: Path) -> str:
    """The sha256 of a source (through `open_source`: PipelineError when it is refused)."""
    digest = hashlib.sha256()
    with open_source(path) as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def source_sha256(path: Path) -> str | None:
    """The sha256 of a usable source; None when nothing is there or it is refused (for
    callers that only compare: recovery, staleness, `sync --all --changed`)."""
    try:
        return file_sha256(path)
    except PipelineError:
        return None
