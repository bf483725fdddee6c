"""The reader's jail: every workbook we did not write is parsed in a child process.

A pre-check of what a file says about itself can be lied to (quoting, case, a `<dimension>`
that understates, a zip entry bigger than declared), and calamine answers such lies by
asking for hundreds of GiB and aborting the whole process. So the parsing happens in
`jail_child.py`, forked from the reader's zygote (zygote.py: a clean interpreter, never a
fork of a process that may hold DuckDB open) or started fresh without one, with:

- an address-space limit (WORKBOOK_READER_MEMORY) and as many CPU seconds as wall seconds
  (WORKBOOK_READER_SECONDS), a wall-time watchdog here, no core dumps, a file-size limit;
- an environment without secrets (no settings, no database URLs, no keys);
- a scratch folder that this process owns and removes, where the child writes each sheet
  as an Arrow file that is mapped here, not copied.

A child that aborts, is killed or hits a limit becomes one PipelineError naming the file,
what ran out and the sheet(s) it was reading.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.text import printable
from pipeline_ops.pipeline.workbook import jail_child
from pipeline_ops.pipeline.workbook.limits import limits
from pipeline_ops.pipeline.workbook.sources import open_source
from pipeline_ops.pipeline.workbook.zygote import Forked, scratch_env, zygote

OUT_OF_MEMORY = ("memory allocation of", "MemoryError", "bad_alloc", "Cannot allocate memory")


@dataclass
class SheetData:
    data: pa.RecordBatch
    letters: list[str]


def scratch_root() -> Path:
    from pipeline_ops.pipeline.paths import data_dir

    root = data_dir() / "tmp" / "reader"
    root.mkdir(parents=True, exist_ok=True)
    return root


class Jail:
    """One child per opened workbook; `read()` may be called from several threads."""

    def __init__(self, path: Path, readers: int = jail_child.READERS):
        self.path, self.limits, self.readers = path, limits(), readers
        remove_stale_scratch()
        self.scratch = Path(tempfile.mkdtemp(prefix="reader-", dir=scratch_root()))
        self.replies: dict = {}
        self.started: dict[int, str] = {}
        self.requested: dict[tuple, int] = {}
        self.death: str | None = None
        self.timed_out = False
        self.cond = threading.Condition()
        try:
            self.proc = self._spawn()
        except BaseException:  # refused by open_source, or no process to be had
            shutil.rmtree(self.scratch, ignore_errors=True)
            raise
        self.watchdog = threading.Timer(self.seconds, self._time_out)
        self.watchdog.daemon = True
        self.watchdog.start()
        threading.Thread(target=self._pump, daemon=True).start()
        try:
            self.names = self._wait("names")["names"]
        except BaseException:
            self.close()  # no child, no scratch folder left behind by a refusal
            raise

    @property
    def seconds(self) -> int:
        return self.limits["WORKBOOK_READER_SECONDS"]

    @property
    def memory(self) -> int:
        return self.limits["WORKBOOK_READER_MEMORY"]

    def _spawn(self) -> Forked | subprocess.Popen:
        """The child reads the file this process opened and checked (open_source), through
        its descriptor: a name swapped for a link or a FIFO after the check is never read."""
        with open_source(self.path) as source, open(self.scratch / "stderr", "wb") as stderr:
            fd = source.fileno()
            config = {
                "path": f"/proc/self/fd/{fd}", "out": str(self.scratch), "limits": self.limits,
                "memory": self.memory, "seconds": self.seconds, "parent": os.getpid(),
                "readers": self.readers,
            }  # fmt: skip
            try:
                return zygote(scratch_env(scratch_root())).fork(config, fd, stderr.fileno())
            except OSError:  # no zygote to be had: a fresh interpreter, the same jail
                return subprocess.Popen(
                    [sys.executable, "-I", jail_child.__file__, json.dumps(config)],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                    pass_fds=(fd,), env=scratch_env(self.scratch), start_new_session=True,
                )  # fmt: skip

    def _named(self, text: str) -> str:
        """The child's message, naming the file as the caller knows it (the child knows
        it by its descriptor)."""
        return re.sub(r"/proc/self/fd/\d+", lambda _m: str(self.path), str(text))

    def read(self, sheet: str, max_rows: int | None = None) -> SheetData:
        try:
            reply = self._wait(self.request(sheet, max_rows))
        except PipelineError:
            self._pinpoint()
            raise
        if "error" in reply:
            raise PipelineError(self._named(reply["error"]))
        return SheetData(self._mapped(reply["file"]), [str(x) for x in reply["letters"]])

    def request(self, sheet: str, max_rows: int | None = None) -> int:
        """Ask for a sheet without waiting for it (the child works while we type others)."""
        with self.cond:
            key = (sheet, max_rows)
            if key not in self.requested:
                self.requested[key] = number = len(self.requested)
                self._send({"id": number, "sheet": sheet, "max_rows": max_rows})
            return self.requested[key]

    def _send(self, message: dict) -> None:
        try:
            self.proc.stdin.write((json.dumps(message) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:
            pass  # the child is gone (a broken pipe); _wait says why

    def _mapped(self, name: str) -> pa.RecordBatch:
        """The child's Arrow file, checked to be one of ours, mapped rather than copied."""
        path = self.scratch / Path(str(name)).name
        if not path.is_file() or path.is_symlink():
            raise PipelineError(f"{self.path}: the reader answered with no sheet data")
        reader = pa.ipc.open_file(pa.memory_map(str(path)))
        return reader.get_batch(0)

    def _pump(self) -> None:
        """Reads the child's answers until it exits, then records why it exited."""
        for line in self.proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                break  # not our protocol: treat as a crash
            with self.cond:
                if "start" in message:
                    self.started[message["start"]] = ""
                else:
                    self.replies[message.get("id")] = message
                self.cond.notify_all()
        self.proc.wait()
        with self.cond:
            self.death = self._death_text()
            self.cond.notify_all()

    def _wait(self, number) -> dict:
        with self.cond:
            while number not in self.replies and self.death is None:
                self.cond.wait()
            if number in self.replies:
                if number == "names" and "error" in self.replies[number]:
                    raise PipelineError(self._named(self.replies[number]["error"]))
                return self.replies[number]
            raise PipelineError(self.death)

    def _time_out(self) -> None:
        self.timed_out = True
        self._kill()

    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def _death_text(self) -> str:
        rc = self.proc.returncode
        return f"{self.path}: the reader {self._what_happened(rc)}{self._where()}"

    def _what_happened(self, rc: int) -> str:
        tail = _tail(self.scratch / "stderr")
        if self.timed_out:
            return f"ran out of its {self.seconds:,} s time limit (WORKBOOK_READER_SECONDS)"
        if rc in (-signal.SIGXCPU, -signal.SIGKILL) and not tail:
            return f"ran out of its {self.seconds:,} CPU seconds (WORKBOOK_READER_SECONDS)"
        if any(sign in tail for sign in OUT_OF_MEMORY):
            return f"ran out of its {_size(self.memory)} memory limit (WORKBOOK_READER_MEMORY)"
        if rc == -signal.SIGXFSZ:
            return "wrote more than its file-size limit"
        if rc is not None and rc < 0:
            return f"crashed ({signal.Signals(-rc).name})"
        return f"stopped unexpectedly (exit {rc})"

    def _where(self) -> str:
        if "names" not in self.replies:
            return " while opening the workbook"
        reading = [printable(sheet) for sheet, _rows in self._reading()]
        return f" on sheet {' or '.join(reading)}" if reading else ""

    def _pinpoint(self) -> None:
        """The child died reading two sheets at once: read them one at a time in a fresh
        jail, so the message names the one that did it (a bad file only pays this)."""
        reading = self._reading()
        if len(reading) < 2 or self.timed_out:
            return
        probe = Jail(self.path, readers=1)
        try:
            for sheet, rows in reading:
                probe.read(sheet, rows)
        finally:
            probe.close()

    def _reading(self) -> list[tuple[str, int | None]]:
        keys = {n: key for key, n in self.requested.items()}
        return [keys[n] for n in self.started if n not in self.replies]

    def close(self) -> None:
        self.watchdog.cancel()
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._kill()
                self.proc.wait()
        shutil.rmtree(self.scratch, ignore_errors=True)


def _tail(path: Path, size: int = 4096) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - size))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _size(size: int) -> str:
    gib = size / (1 << 30)
    return f"{gib:g} GiB" if gib >= 1 else f"{size >> 20:,} MiB"


def remove_stale_scratch(older_than: float = 86_400) -> int:
    """Scratch folders a killed process left behind (its own cleanup never ran)."""
    removed = 0
    for folder in scratch_root().glob("reader-*"):
        if time.time() - folder.stat().st_mtime > older_than:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
