from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline_ops import opsdb
from pipeline_ops.pipeline.errors import PipelineError

ROOT = Path(__file__).resolve().parent.parent


def tables(client) -> set[str]:
    rows = opsdb.query(client, "SELECT name FROM sqlite_master WHERE type = 'table'")
    return {name for (name,) in rows}


def test_the_schema_is_created_at_the_current_version(ops_url):
    with opsdb.connect(ops_url) as client:
        assert opsdb.ensure_schema(client) == opsdb.SCHEMA_VERSION
        assert set(opsdb.OPS_TABLES) | {"_schema_version"} <= tables(client)
        versions = opsdb.query(client, "SELECT version FROM _schema_version ORDER BY version")
    assert versions == [(n,) for n in range(1, len(opsdb.MIGRATIONS) + 1)]


def test_creating_the_schema_again_changes_nothing(ops_url):
    with opsdb.connect(ops_url) as client:
        opsdb.ensure_schema(client)
        client.execute("INSERT INTO db_entity (code) VALUES ('IONS')")
        before = opsdb.query(client, "SELECT * FROM sqlite_master ORDER BY name")
        assert opsdb.ensure_schema(client) == opsdb.SCHEMA_VERSION
        assert opsdb.query(client, "SELECT * FROM sqlite_master ORDER BY name") == before
        assert opsdb.query(client, "SELECT count(*) FROM _schema_version") == [
            (opsdb.SCHEMA_VERSION,)
        ]
        assert opsdb.query(client, "SELECT code FROM db_entity") == [("IONS",)]


def test_a_new_migration_is_applied_once_on_top_of_the_existing_schema(ops_url, monkeypatch):
    with opsdb.connect(ops_url) as client:
        opsdb.ensure_schema(client)
        extra = ["ALTER TABLE db_person ADD COLUMN email TEXT"]
        monkeypatch.setattr(opsdb, "MIGRATIONS", [*opsdb.MIGRATIONS, extra])
        monkeypatch.setattr(opsdb, "SCHEMA_VERSION", len(opsdb.MIGRATIONS))
        assert opsdb.ensure_schema(client) == opsdb.SCHEMA_VERSION
        assert opsdb.ensure_schema(client) == opsdb.SCHEMA_VERSION
        columns = {row[1] for row in opsdb.query(client, "PRAGMA table_info(db_person)")}
    assert "email" in columns


def test_a_failing_migration_leaves_the_previous_version_whole(ops_url, monkeypatch):
    with opsdb.connect(ops_url) as client:
        opsdb.ensure_schema(client)
        broken = ["CREATE TABLE half_done (id INTEGER)", "ALTER TABLE nowhere ADD COLUMN x"]
        monkeypatch.setattr(opsdb, "MIGRATIONS", [*opsdb.MIGRATIONS, broken])
        monkeypatch.setattr(opsdb, "SCHEMA_VERSION", len(opsdb.MIGRATIONS))
        with pytest.raises(PipelineError, match="Cannot migrate the ops DB to version"):
            opsdb.ensure_schema(client)
        assert "half_done" not in tables(client)
        assert opsdb.schema_version(client) == opsdb.SCHEMA_VERSION - 1


def test_the_default_url_is_ops_db_in_the_data_dir(data_dir):
    with opsdb.connect() as client:
        opsdb.ensure_schema(client)
    assert (data_dir / "ops.db").exists()


def test_ops_db_url_setting_moves_the_database(settings, tmp_path, data_dir):
    settings.OPS_DB_URL = f"file:{tmp_path / 'elsewhere.db'}"
    with opsdb.connect() as client:
        opsdb.ensure_schema(client)
    assert (tmp_path / "elsewhere.db").exists()
    assert not (data_dir / "ops.db").exists()


@pytest.mark.parametrize("url", ["file:/no/such/dir/ops.db", "ftp://example.com/ops"])
def test_an_unusable_url_is_one_clear_error(url):
    with pytest.raises(PipelineError, match="Cannot open the ops DB"), opsdb.connect(url):
        pass


def test_insert_statements_group_rows_under_the_parameter_limit(ops_url, monkeypatch):
    monkeypatch.setattr(opsdb, "MAX_PARAMS", 30)
    rows = [(n, f"E{n}", f"name {n}") for n in range(1, 26)]
    stmts = opsdb.insert_statements("db_entity", ("id", "code", "name"), rows)
    assert [len(args) for _, args in stmts] == [30, 30, 15]
    with opsdb.connect(ops_url) as client:
        opsdb.ensure_schema(client)
        opsdb.run_batch(client, stmts)
        assert opsdb.query(client, "SELECT id, code, name FROM db_entity ORDER BY id") == rows


def test_a_rejected_batch_writes_nothing(ops_url):
    with opsdb.connect(ops_url) as client:
        opsdb.ensure_schema(client)
        good = ("INSERT INTO db_entity (id, code) VALUES (1, 'A')", [])
        with pytest.raises(PipelineError, match="nothing was changed"):
            opsdb.run_batch(
                client, [good, ("INSERT INTO db_entity (id, code) VALUES (1, 'B')", [])]
            )
        assert opsdb.query(client, "SELECT count(*) FROM db_entity") == [(0,)]


def test_a_process_that_used_the_client_exits_promptly(data_dir):
    """libsql-client's sync client runs a thread; connect() must always stop it."""
    script = (
        "import django; django.setup()\n"
        "from pipeline_ops import opsdb\n"
        "with opsdb.connect() as c: print(opsdb.ensure_schema(c))\n"
        "try:\n"
        "    with opsdb.connect() as c: raise ValueError('boom')\n"
        "except ValueError: print('raised')\n"
    )
    env = {**os.environ, "PIPELINE_DATA_DIR": str(data_dir)}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env.pop("OPS_DB_URL", None)
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(opsdb.SCHEMA_VERSION), "raised"]
