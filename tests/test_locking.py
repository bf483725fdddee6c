from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pipeline_ops.pipeline.errors import LockTimeout
from pipeline_ops.pipeline.runs.locking import is_held, pipeline_lock, update_holder
from tests.polling import wait_until

ROOT = Path(__file__).resolve().parent.parent

# A second process using the real lock; it says what happens on stdout/stderr.
LOCKER = """
import sys, time, django
django.setup()
from pipeline_ops.pipeline.runs.locking import pipeline_lock, update_holder
hold = float(sys.argv[1])
say = lambda m: print(m, file=sys.stderr, flush=True)
with pipeline_lock({"stage": "load", "entity": "KIDS"}, on_wait=say):
    update_holder(run_id=77)
    print("locked", flush=True)
    time.sleep(hold)
print("released", flush=True)
"""


def locker(data_dir: Path, hold: float, timeout: float = 30) -> subprocess.Popen:
    env = {
        **os.environ,
        "PIPELINE_DATA_DIR": str(data_dir),
        "PIPELINE_LOCK_TIMEOUT": str(timeout),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    return subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(hold)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class Lines:
    """What a process has printed so far on one pipe, read without blocking and one byte at
    a time from its file descriptor, so nothing past the line asked for is taken from it:
    communicate() still gets the rest."""

    def __init__(self, stream) -> None:
        self.fd = stream.fileno()
        self.partial = b""

    def line_with(self, text: str) -> str | None:
        """The first complete line printed since the last call that holds `text`, if any
        has been printed yet; fails if the process closed the pipe without printing it."""
        while select.select([self.fd], [], [], 0)[0]:
            byte = os.read(self.fd, 1)
            if not byte:
                raise AssertionError(f"the process ended without printing {text!r}")
            self.partial += byte
            if byte == b"\n":
                line, self.partial = self.partial.decode(), b""
                if text in line:
                    return line
        return None


def read_until(stream, text: str, timeout: float = 60) -> str:
    """The line a process prints with `text` in it, waiting at most `timeout` seconds."""
    lines = Lines(stream)
    return wait_until(lambda: lines.line_with(text), timeout, f"a line with {text!r}")


def test_the_lock_is_re_entrant_within_a_process():
    with pipeline_lock({"stage": "sync"}):
        with pipeline_lock({"stage": "extract"}):
            assert is_held()
        assert is_held()
    assert not is_held()


def test_a_second_process_waits_saying_once_whom_it_waits_for(data_dir):
    with pipeline_lock({"stage": "transform", "entity": "IONS"}):
        update_holder(run_id=42)
        waiter = locker(data_dir, hold=0)
        waiting_line = read_until(waiter.stderr, "Waiting")  # blocks until it waits
    out, err = waiter.communicate(timeout=60)

    assert waiter.returncode == 0 and out.split() == ["locked", "released"]
    assert "run 42" in waiting_line and "transform" in waiting_line and "IONS" in waiting_line
    assert f"pid {os.getpid()}" in waiting_line
    assert "Waiting" not in err  # said once only


def test_a_waiter_gives_up_after_the_timeout_naming_the_holder(data_dir):
    holder = locker(data_dir, hold=120)
    try:
        read_until(holder.stdout, "locked")
        with pytest.raises(LockTimeout) as failure, pipeline_lock(timeout=0.3):
            pass
    finally:
        holder.kill()
        holder.wait()
    message = str(failure.value)
    assert "Gave up after 0.3s" in message
    assert f"run 77 load KIDS pid {holder.pid}" in message
    assert "PIPELINE_LOCK_TIMEOUT" in message


def test_the_lock_of_a_holder_killed_with_sigkill_is_recovered(data_dir):
    holder = locker(data_dir, hold=120)
    read_until(holder.stdout, "locked")
    with pytest.raises(LockTimeout), pipeline_lock(timeout=0.2):
        pass  # held while the holder lives

    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()

    with pipeline_lock({"stage": "extract"}, timeout=5):
        assert is_held()
    assert holder.returncode == -signal.SIGKILL


@pytest.mark.django_db
def test_sync_gives_up_waiting_with_exit_code_1_and_says_for_whom(entity, data_dir, settings):
    settings.PIPELINE_LOCK_TIMEOUT = 0.3
    holder = locker(data_dir, hold=120)
    err = StringIO()
    try:
        read_until(holder.stdout, "locked")
        with pytest.raises(CommandError) as failure:
            call_command("sync", "--entity", "IONS", "--year", "2026", stderr=err)
    finally:
        holder.kill()
        holder.wait()
    assert failure.value.returncode == 1
    expected = "Gave up after 0.3s waiting for the pipeline lock held by run 77 load KIDS pid"
    assert f"{expected} {holder.pid}" in str(failure.value)
    assert err.getvalue().count("Waiting for the pipeline lock held by run 77") == 1
