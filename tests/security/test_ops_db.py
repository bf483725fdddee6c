"""An unusable ops DB (corrupt, not a database, a directory, a server that refuses us).

Each test runs a real `manage.py publish` against a copy of the session's sync-built data
dir whose ops DB has been spoiled, and expects one line naming the ops DB and what is wrong,
exit 1, a failed run record with that line, and the spoiled ops DB left exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.security.helpers import last_run
from tests.warehouse_fixtures import BuiltWarehouse, manage_command

SECRET = "s3cr3t-ops-token"


@pytest.fixture
def chain(built_warehouse: BuiltWarehouse, tmp_path: Path) -> Path:
    """A private copy of the sync-built data dir (Django DB, warehouse) without an ops DB."""
    target = tmp_path / "chain"
    shutil.copytree(built_warehouse.data_dir, target)
    for name in ("ops.db", "ops.db-wal", "ops.db-shm"):
        (target / name).unlink(missing_ok=True)
    return target


def publish(data_dir: Path, **env: str) -> subprocess.CompletedProcess:
    args = ("publish", "--entity", "IONS", "--year", "2026", "--month", "1-3")
    command = manage_command(data_dir, *args, private_db=True)
    command["env"].update(env)
    return subprocess.run(**command, capture_output=True, timeout=180, check=False)


def one_line_failure(proc: subprocess.CompletedProcess) -> str:
    """The single stderr line of a clean exit-1 failure (asserting there is nothing else)."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def assert_failed_run_says(data_dir: Path, line: str) -> None:
    stage, status, message = last_run(data_dir)
    assert (stage, status) == ("publish", "failed")
    assert message and message in line


SPOILERS: dict[str, Callable[[Path], None]] = {
    "random_bytes": lambda path: path.write_bytes(os.urandom(4096)),
    "text_file": lambda path: path.write_text("ops notes, not a database\n" * 200),
}


@pytest.mark.parametrize("spoil", SPOILERS.values(), ids=SPOILERS.keys())
def test_a_corrupt_ops_db_fails_the_publish_in_one_line_and_is_left_as_it_was(chain, spoil):
    ops_db = chain / "ops.db"
    spoil(ops_db)
    before = ops_db.read_bytes()
    line = one_line_failure(publish(chain))
    assert f"Cannot open the ops DB file:{ops_db}: " in line and "file is not a database" in line
    assert_failed_run_says(chain, line)
    assert ops_db.read_bytes() == before
    assert sorted(p.name for p in chain.glob("ops.db*")) == ["ops.db"]


def test_an_ops_db_path_that_is_a_directory_fails_the_publish_in_one_line(chain):
    (chain / "ops.db").mkdir()
    line = one_line_failure(publish(chain))
    assert f"Cannot open the ops DB file:{chain / 'ops.db'}: " in line and "unable to open" in line
    assert_failed_run_says(chain, line)
    assert list((chain / "ops.db").iterdir()) == []


class Refusing(BaseHTTPRequestHandler):
    """Stands in for a remote LibSQL server that rejects our credentials."""

    def do_POST(self) -> None:
        self.send_response(401)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"Unauthorized")

    do_GET = do_POST

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def refusing_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_a_remote_ops_db_that_refuses_us_fails_in_one_line_without_printing_the_token(
    chain, refusing_server
):
    url = f"{refusing_server}?authToken={SECRET}"
    proc = publish(chain, OPS_DB_URL=url, OPS_DB_AUTH_TOKEN=SECRET)
    line = one_line_failure(proc)
    assert f"ops DB {refusing_server}" in line and "401" in line
    assert SECRET not in proc.stdout + proc.stderr
    assert_failed_run_says(chain, line)
    assert SECRET not in last_run(chain)[2]


def test_an_unreachable_remote_ops_db_fails_in_one_line(chain):
    with closing(socket.socket()) as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    line = one_line_failure(publish(chain, OPS_DB_URL=f"http://127.0.0.1:{port}"))
    assert f"Cannot use the ops DB http://127.0.0.1:{port}:" in line and "onnect" in line
    assert_failed_run_says(chain, line)
