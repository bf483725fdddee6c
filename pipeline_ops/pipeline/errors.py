"""The product's failures. Every task and command ends in one line (docs/reliability.md):
a PipelineError says what to do; anything else is turned into `Unexpected` at the one
boundary each piece of work runs in (the stage wrapper, a command, an intake or mail task).
"""

from __future__ import annotations

import errno
import traceback


class PipelineError(Exception):
    """A failure the operator can act on: shown as one line, never as a traceback."""


class LockTimeout(PipelineError):
    pass


class Unexpected(PipelineError):
    """An exception no stage expected (a full disk, a DuckDB conversion error, a database
    error), as one line; `where` names the code it came from, for a developer."""

    def __init__(self, exc: BaseException):
        super().__init__(one_line(exc))
        self.where = origin(exc)


def first_line(exc: BaseException) -> str:
    """An exception's first line, or its type's name when it says nothing."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def one_line(exc: BaseException) -> str:
    """What went wrong, in words where we know them, else the exception's first line."""
    if isinstance(exc, PipelineError):
        return str(exc)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        where = f" writing {exc.filename}" if exc.filename else ""
        return f"the disk is full{where}: nothing was replaced; free space and run it again"
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    return f"unexpected error: {type(exc).__name__}" + (f": {first}" if first else "")


def origin(exc: BaseException) -> str:
    """`file.py:line in function` of the innermost frame of our own code."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "pipeline_ops" in f.filename]
    if not frames:
        return ""
    frame = frames[-1]
    name = frame.filename[frame.filename.rfind("pipeline_ops") :]
    return f"{name}:{frame.lineno} in {frame.name}"
