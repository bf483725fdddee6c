"""The reader's zygote: a clean process that has imported the parser once and forks one
jailed child per workbook (as multiprocessing's forkserver does).

Starting Python and importing fastexcel and pyarrow costs ≈ 0.15 s, every workbook; a fork
of this process costs ≈ 2 ms. The zygote itself never reads a workbook: it only waits on
its socket (AF_UNIX, SOCK_SEQPACKET: one message each) for a request with four descriptors
(the workbook, the child's stdin, stdout and stderr), forks, and reports the child's pid
and, once reaped, its exit status. Each forked child then limits itself and serves exactly
as a freshly started `jail_child.py` does. It is started by `zygote.py` with the same empty
environment, holds no thread when it forks, and dies with its parent.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def main() -> int:
    config = json.loads(sys.argv[1])
    sys.path.insert(0, str(ROOT))  # -I leaves the project off sys.path
    from pipeline_ops.pipeline.workbook import jail_child

    jail_child.die_with_parent(config["parent"])
    jail_child.preload()
    channel = socket.socket(fileno=config["socket"])
    wakeup = _on_child_exit()
    children: set[int] = set()
    while True:
        ready, _, _ = select.select([channel, wakeup], [], [], 5)
        if wakeup in ready:
            os.read(wakeup, 4096)
        _reap(channel, children)
        if channel in ready and not _take(channel, children, jail_child):
            break
    for pid in children:  # the parent is done with them: end them, and reap them, so their
        os.kill(pid, signal.SIGKILL)  # resource use is counted in ours, and so in the parent's
    for pid in children:
        os.waitpid(pid, 0)
    return 0


def _on_child_exit() -> int:
    """A pipe that gets a byte when a child exits, so it is reaped (and its status sent) at
    once: the parent waits for that status when it closes a reader."""
    wakeup, poke = os.pipe()
    os.set_blocking(poke, False)
    signal.set_wakeup_fd(poke)
    signal.signal(signal.SIGCHLD, lambda _signum, _frame: None)
    return wakeup


def _take(channel: socket.socket, children: set[int], jail_child) -> bool:
    """One request: fork a child for it. False when the parent has gone."""
    message, fds, _flags, _address = socket.recv_fds(channel, 1 << 16, 4)
    if not message:
        return False
    request = json.loads(message)
    pid = os.fork()
    if pid == 0:
        _child(channel, request["config"], fds, jail_child)
    for fd in fds:
        os.close(fd)
    children.add(pid)
    channel.send(json.dumps({"id": request["id"], "pid": pid}).encode())
    return True


def _child(channel: socket.socket, config: dict, fds: list[int], jail_child) -> None:
    """In the forked child: become a fresh jail_child and never return into the loop."""
    code = 70
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        channel.close()
        workbook, stdin, stdout, stderr = fds
        config = {**config, "path": f"/proc/self/fd/{workbook}"}
        for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
            os.dup2(fd, target)
            os.close(fd)
        os.setsid()  # its own process group, as the parent kills it by group
        jail_child.limit_self({**config, "parent": os.getppid()})
        code = jail_child.serve(config)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        os._exit(code)


def _reap(channel: socket.socket, children: set[int]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        code = os.waitstatus_to_exitcode(status)
        channel.send(json.dumps({"pid": pid, "status": code}).encode())


if __name__ == "__main__":
    sys.exit(main())
