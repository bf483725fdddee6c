"""The parent's side of the reader's zygote (zygote_child.py): one per process, started on
first use, so a jailed reader is a fork (≈ 2 ms) instead of a new Python that imports
pyarrow and fastexcel (≈ 0.15 s, measured: a third of an intake test's time).

`fork()` hands the zygote the workbook's checked descriptor and three pipe ends, and
returns a `Forked` with what `Jail` uses of a `Popen`. If the zygote cannot be had, the
caller starts `jail_child.py` directly: slower, the same jail.

The zygote dies with the thread that started it (PR_SET_PDEATHSIG follows the thread):
workbooks are opened by the thread that runs the stage or task, and a zygote found dead
is simply started again.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from pipeline_ops.pipeline.workbook import zygote_child


class Forked:
    """A reader child the zygote forked: its pipes, pid and (once reaped) exit status."""

    def __init__(self, pid: int, stdin, stdout):
        self.pid, self.stdin, self.stdout = pid, stdin, stdout
        self.returncode: int | None = None
        self._done = threading.Event()

    def exited(self, code: int) -> None:
        self.returncode = code
        self._done.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        if not self._done.wait(timeout):
            raise subprocess.TimeoutExpired("workbook reader", timeout or 0)
        return self.returncode


class Zygote:
    def __init__(self, env: dict[str, str]):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.channel, self.cond, self.gone = ours, threading.Condition(), False
        self.pids: dict[int, int] = {}  # request → pid
        self.children: dict[int, Forked] = {}
        self.early: dict[int, int] = {}  # statuses of children not registered yet
        self.requests = 0
        config = {"parent": os.getpid(), "socket": theirs.fileno()}
        self.proc = subprocess.Popen(
            [sys.executable, "-I", zygote_child.__file__, json.dumps(config)],
            pass_fds=(theirs.fileno(),), env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        theirs.close()
        threading.Thread(target=self._listen, daemon=True).start()

    def close(self) -> None:
        """At exit: the zygote sees its socket close, ends, and is reaped by us."""
        with contextlib.suppress(OSError):
            self.channel.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)

    def alive(self) -> bool:
        return not self.gone and self.proc.poll() is None

    def fork(self, config: dict, workbook: int, stderr: int) -> Forked:
        stdin_r, stdin_w = os.pipe()
        stdout_r, stdout_w = os.pipe()
        try:
            pid = self._ask(config, [workbook, stdin_r, stdout_w, stderr])
        except BaseException:
            os.close(stdin_w)
            os.close(stdout_r)
            raise
        finally:
            os.close(stdin_r)
            os.close(stdout_w)
        child = Forked(pid, os.fdopen(stdin_w, "wb"), os.fdopen(stdout_r, "rb"))
        with self.cond:
            self.children[pid] = child
            if pid in self.early:
                child.exited(self.early.pop(pid))
        return child

    def _ask(self, config: dict, fds: list[int]) -> int:
        with self.cond:
            number, self.requests = self.requests, self.requests + 1
            message = json.dumps({"id": number, "config": config}).encode()
            socket.send_fds(self.channel, [message], fds)
            while number not in self.pids and not self.gone:
                self.cond.wait()
            if number not in self.pids:
                raise OSError("the workbook reader's zygote has gone")
            return self.pids.pop(number)

    def _listen(self) -> None:
        while True:
            try:
                data = self.channel.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                break
            self._note(json.loads(data))
        with self.cond:  # a zygote gone takes its children with it (PR_SET_PDEATHSIG)
            self.gone = True
            for child in self.children.values():
                child.exited(-signal.SIGKILL)
            self.cond.notify_all()

    def _note(self, message: dict) -> None:
        with self.cond:
            if "status" in message:
                child = self.children.pop(message["pid"], None)
                if child is None:
                    self.early[message["pid"]] = int(message["status"])
                else:
                    child.exited(int(message["status"]))
            else:
                self.pids[message["id"]] = message["pid"]
            self.cond.notify_all()


_guard = threading.Lock()
_zygotes: dict[int, Zygote] = {}  # by process: a forked process starts its own


@atexit.register
def _close_ours() -> None:
    current = _zygotes.get(os.getpid())
    if current is not None:
        current.close()


def zygote(env: dict[str, str]) -> Zygote:
    with _guard:
        current = _zygotes.get(os.getpid())
        if current is None or not current.alive():
            current = _zygotes[os.getpid()] = Zygote(env)
        return current


def scratch_env(folder: Path) -> dict[str, str]:
    """Nothing of ours: the reader needs no setting, and a secret it cannot see cannot leak."""
    return {"PATH": os.defpath, "LC_ALL": "C.UTF-8", "HOME": str(folder), "TMPDIR": str(folder)}
