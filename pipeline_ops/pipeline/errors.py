from __future__ import annotations


class PipelineError(Exception):
    """A failure the operator can act on: shown as one line, never as a traceback."""


class LockTimeout(PipelineError):
    pass
