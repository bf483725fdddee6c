"""The LibSQL operational database (docs/publish.md). The only module that imports libsql_client.

`connect()` yields a sync client and always closes it: libsql-client's sync client runs a
background thread, and an unclosed one keeps the process alive at exit. The schema is
created and versioned here (`_schema_version`), idempotently, by `ensure_schema()`.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import aiohttp
import libsql_client
from django.conf import settings

from pipeline_ops.pipeline.errors import PipelineError, first_line
from pipeline_ops.pipeline.paths import ops_db_url

Statement = tuple[str, list[Any]]

# One entry per schema version; never edit a released entry, append a new one.
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE db_entity (
            id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL DEFAULT '')""",
        """CREATE TABLE db_program (
            id INTEGER PRIMARY KEY, entity_id INTEGER NOT NULL REFERENCES db_entity (id),
            code TEXT NOT NULL, name TEXT NOT NULL DEFAULT '', unit TEXT, price INTEGER,
            target_students INTEGER, UNIQUE (entity_id, code))""",
        """CREATE TABLE db_organization (
            id INTEGER PRIMARY KEY, entity_id INTEGER NOT NULL REFERENCES db_entity (id),
            name_key TEXT NOT NULL, name TEXT NOT NULL, city TEXT, kind TEXT,
            UNIQUE (entity_id, name_key))""",
        """CREATE TABLE db_person (
            id INTEGER PRIMARY KEY, entity_id INTEGER NOT NULL REFERENCES db_entity (id),
            name_key TEXT NOT NULL, name TEXT NOT NULL, UNIQUE (entity_id, name_key))""",
        """CREATE TABLE db_account (
            id INTEGER PRIMARY KEY, entity_id INTEGER NOT NULL REFERENCES db_entity (id),
            person_id INTEGER NOT NULL REFERENCES db_person (id),
            organization_id INTEGER REFERENCES db_organization (id))""",
        # An account without an organization is still one per person.
        """CREATE UNIQUE INDEX db_account_key
            ON db_account (entity_id, person_id, ifnull(organization_id, 0))""",
        """CREATE TABLE commerce_order (
            id INTEGER PRIMARY KEY, entity_id INTEGER NOT NULL REFERENCES db_entity (id),
            year INTEGER NOT NULL, month INTEGER NOT NULL, invoice TEXT NOT NULL,
            order_date TEXT, account_id INTEGER NOT NULL REFERENCES db_account (id),
            person_id INTEGER NOT NULL REFERENCES db_person (id),
            program_id INTEGER REFERENCES db_program (id), unit TEXT,
            price INTEGER NOT NULL, discount INTEGER NOT NULL, net_amount INTEGER NOT NULL,
            paid INTEGER NOT NULL, payment_method TEXT, status TEXT NOT NULL,
            is_cancelled INTEGER NOT NULL, UNIQUE (entity_id, year, invoice))""",
        "CREATE INDEX commerce_order_month ON commerce_order (entity_id, year, month)",
        """CREATE TABLE finance_transaction (
            id INTEGER PRIMARY KEY, entity_id INTEGER NOT NULL REFERENCES db_entity (id),
            year INTEGER NOT NULL, month INTEGER NOT NULL,
            order_id INTEGER NOT NULL UNIQUE REFERENCES commerce_order (id),
            paid_on TEXT, amount INTEGER NOT NULL CHECK (amount > 0), method TEXT)""",
        "CREATE INDEX finance_transaction_month ON finance_transaction (entity_id, year, month)",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)
OPS_TABLES = (
    "db_entity", "db_program", "db_organization", "db_person", "db_account",
    "commerce_order", "finance_transaction",
)  # fmt: skip
# SQLite allows 32766 bound parameters per statement; stay well below it.
MAX_PARAMS = 8000
BUSY_TIMEOUT_MS = 10_000

OpsDbError = libsql_client.LibsqlError
# What the client can raise when the ops DB itself is unusable: a corrupt or non-database
# file, a path it cannot open, a server that refuses or cannot be reached (aiohttp is the
# remote transport of libsql-client).
UNUSABLE_ERRORS = (OpsDbError, sqlite3.Error, aiohttp.ClientError, asyncio.TimeoutError)


class Client:
    """The sync libsql client plus the URL it was opened with."""

    def __init__(self, raw: libsql_client.ClientSync, url: str) -> None:
        self.raw = raw
        self.url = url
        self.is_file = url.startswith("file:")

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Any:
        return self.raw.execute(sql, list(args))

    def batch(self, stmts: list[Any]) -> list[Any]:
        if self.is_file:
            # The file driver connects with timeout=0; wait for a reader instead of failing.
            stmts = [f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}", *stmts]
        return self.raw.batch(stmts)


def describe_url(url: str) -> str:
    return url.split("?", 1)[0]


def unusable(url: str, exc: BaseException, doing: str = "use") -> PipelineError:
    """One line naming the ops DB and what is wrong with it; never its token."""
    reason = first_line(exc)
    # A driver message may echo the URL it was given, query string (authToken=…) and all.
    reason = reason.replace(url, describe_url(url))
    token = getattr(settings, "OPS_DB_AUTH_TOKEN", None)
    if token:
        reason = reason.replace(token, "***")
    return PipelineError(f"Cannot {doing} the ops DB {describe_url(url)}: {reason}")


@contextmanager
def connect(url: str | None = None) -> Iterator[Client]:
    """A client for the ops DB, closed on exit whatever happens (its thread must stop).

    Any failure of the ops DB itself, here or in the body, becomes one PipelineError line.
    """
    url = url or ops_db_url()
    token = getattr(settings, "OPS_DB_AUTH_TOKEN", None) or None
    try:
        raw = libsql_client.create_client_sync(url, auth_token=token)
    except (*UNUSABLE_ERRORS, OSError, ValueError) as exc:
        raise unusable(url, exc, "open") from exc
    try:
        client = Client(raw, url)
        _set_wal(client)
        yield client
    except UNUSABLE_ERRORS as exc:
        raise unusable(url, exc) from exc
    finally:
        raw.close()


def _set_wal(client: Client) -> None:
    """WAL: readers of the ops DB never block a publish, nor see half of one. It is also
    the first statement to read a file: a corrupt or non-database one fails here."""
    if not client.is_file:
        return
    try:
        client.execute("PRAGMA journal_mode = WAL")
    except UNUSABLE_ERRORS as exc:
        raise unusable(client.url, exc, "open") from exc


def query(client: Client, sql: str, args: Sequence[Any] = ()) -> list[tuple]:
    return [row.astuple() for row in client.execute(sql, args).rows]


def schema_version(client: Client) -> int:
    client.execute(
        "CREATE TABLE IF NOT EXISTS _schema_version ("
        " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (datetime('now')))"
    )
    (version,) = query(client, "SELECT coalesce(max(version), 0) FROM _schema_version")[0]
    return int(version)


def ensure_schema(client: Client) -> int:
    """Apply pending migrations, each atomically with its version row. Returns the version."""
    version = schema_version(client)
    for number in range(version + 1, SCHEMA_VERSION + 1):
        stmts: list[Any] = list(MIGRATIONS[number - 1])
        stmts.append(("INSERT INTO _schema_version (version) VALUES (?)", [number]))
        try:
            client.batch(stmts)
        except OpsDbError as exc:
            # Another process may have applied it first; the version row decides.
            if schema_version(client) < number:
                raise PipelineError(
                    f"Cannot migrate the ops DB to version {number}: {exc}"
                ) from exc
    return schema_version(client)


def insert_statements(
    table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], verb: str = "INSERT"
) -> list[Statement]:
    """Multi-row INSERTs (a few hundred rows each): far fewer statements than rows."""
    per_stmt = max(1, MAX_PARAMS // len(columns))
    group = "(" + ", ".join("?" * len(columns)) + ")"
    head = f"{verb} INTO {table} ({', '.join(columns)}) VALUES "
    stmts: list[Statement] = []
    chunk: list[Any] = []
    count = 0
    for row in rows:
        chunk.extend(row)
        count += 1
        if count == per_stmt:
            stmts.append((head + ", ".join([group] * count), chunk))
            chunk, count = [], 0
    if count:
        stmts.append((head + ", ".join([group] * count), chunk))
    return stmts


def run_batch(client: Client, stmts: list[Any]) -> None:
    """Execute `stmts` as one transaction: all of them or none."""
    try:
        client.batch(stmts)
    except OpsDbError as exc:
        raise PipelineError(f"The ops DB rejected the publish; nothing was changed: {exc}") from exc
