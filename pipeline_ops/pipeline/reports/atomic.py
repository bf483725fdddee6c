"""Writing files so that a reader never sees half of one, or half of a set."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write beside the target then rename: a reader never sees half a file."""
    write_all_atomically({path: write})


def write_all_atomically(writers: dict[Path, Callable[[Path], object]]) -> None:
    """All or none: every file is written beside its target first, and only when all of
    them were written are they renamed into place (a failure leaves the old set intact)."""
    temps = {}
    try:
        for path, write in writers.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            temps[path] = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            write(temps[path])
        for path, tmp in temps.items():
            os.replace(tmp, path)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
