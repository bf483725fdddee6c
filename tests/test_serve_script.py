"""`scripts/serve.sh` (what `make run` ends in): a SIGTERM to its process group stops the
server and the worker, all of their processes, and the script itself (issue #23: before,
qcluster's parent was left hanging)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

from tests.polling import wait_until
from tests.warehouse_fixtures import ROOT, manage


def children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue  # gone meanwhile
        if f"\nPPid:\t{pid}\n" in text:
            found.append(int(status.parent.name))
    return found


def descendants(pid: int) -> list[int]:
    found = children(pid)
    return found + [d for child in found for d in descendants(child)]


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sigterm_to_make_runs_process_group_stops_the_server_and_the_worker(tmp_path):
    data = tmp_path / "data"
    manage(data, "migrate", "--noinput", "-v", "0", private_db=True)
    env = {**os.environ, "PIPELINE_DATA_DIR": str(data), "ATLAS_ADDR": f"127.0.0.1:{free_port()}",
           "DEBUG": "0"}  # fmt: skip
    for name in ("WAREHOUSE_PATH", "OPS_DB_URL", "DATABASE_URL"):
        env.pop(name, None)
    script = subprocess.Popen(["bash", "scripts/serve.sh"], cwd=ROOT, env=env,
                              start_new_session=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_until(lambda: len(children(script.pid)) == 2, timeout=30, what="server and worker")
        # The worker is up once its cluster has forked its processes.
        wait_until(lambda: len(descendants(script.pid)) >= 5, timeout=60,
                   what="the worker's cluster processes")  # fmt: skip
        every = descendants(script.pid)

        os.killpg(script.pid, signal.SIGTERM)  # what `kill -TERM -<pgid>` sends

        assert script.wait(timeout=20) is not None
        wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in every), timeout=20,
                   what="every server and worker process gone")  # fmt: skip
    finally:
        for pid in [script.pid, *children(script.pid)]:
            if group_alive(pid):
                os.killpg(pid, signal.SIGKILL)
