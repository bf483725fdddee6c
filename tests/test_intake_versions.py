"""Workbook versions (intake/versions.py) under concurrency: two workers making versions of
one entity-year current at once (two previews adopting the same hand-placed workbook) take
turns, so exactly one stays accepted (commit a50e394: CI's PostgreSQL pass saw both end
accepted, 1 run in 9)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from pipeline_ops.models import WorkbookVersion
from pipeline_ops.pipeline.intake.versions import Status, make_current
from tests.polling import wait_until

TABLE = WorkbookVersion._meta.db_table


def superseding(sql: str, params) -> bool:
    """The statement make_current retires the current version with."""
    return (
        sql.lstrip().upper().startswith("UPDATE")
        and TABLE in sql
        and (Status.SUPERSEDED in (params or ()))
    )


def waiting_for_a_lock(backend_pids: list[int]) -> bool:
    """One of these database sessions is blocked waiting for a lock another one holds."""
    if connection.vendor == "sqlite":
        # IMMEDIATE transactions (config/settings.py): while one racer is inside its
        # transaction, the other cannot begin one, so it can only be waiting.
        return True
    with connection.cursor() as cursor:  # autocommit: a fresh pg_stat_activity each time
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE pid = ANY(%s) AND wait_event_type = 'Lock'",
            [backend_pids],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_version_accepted_when_two_workers_make_versions_current_at_once(entity):
    """Each racer pauses right after retiring the current version, inside its transaction,
    until the other has retired it too, or is seen blocked behind the first one's lock.
    Without a lock serializing them, both read "no version accepted" before either commits,
    and both end accepted; with it, the second waits, then supersedes the first."""
    versions = [
        WorkbookVersion.objects.create(entity=entity, year=2026, sha256=c * 64, original_name=c)
        for c in "ab"
    ]
    start = threading.Barrier(len(versions))
    go = threading.Event()
    passed: list[int] = []  # racers past their supersede, in order
    backend_pids: dict[int, int] = {}
    errors: list[BaseException] = []

    def racer(index: int) -> None:
        def pause_after_supersede(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            if superseding(sql, params):
                passed.append(index)
                assert go.wait(timeout=60), "never released"
            return result

        try:
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    backend_pids[index] = cursor.fetchone()[0]
            start.wait(timeout=60)
            with connection.execute_wrapper(pause_after_supersede):
                make_current(versions[index], None)
        except BaseException as exc:  # the outcome under test, re-raised below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=racer, args=(i,), daemon=True) for i in range(2)]
    for thread in threads:
        thread.start()
    try:

        def both_past_or_one_blocked() -> bool:
            assert not errors, errors
            others = [pid for i, pid in backend_pids.items() if i not in passed]
            return len(passed) == 2 or (len(passed) == 1 and waiting_for_a_lock(others))

        wait_until(
            both_past_or_one_blocked,
            timeout=60,
            what="both racers past their supersede, or one blocked behind the other",
        )
    finally:
        go.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads)

    statuses = sorted(WorkbookVersion.objects.values_list("status", flat=True))
    assert statuses == [Status.ACCEPTED, Status.SUPERSEDED], (
        f"two workers making versions current at once left {statuses}"
    )
    second = versions[passed[-1]]  # the one that superseded last is the current one
    assert WorkbookVersion.objects.get(status=Status.ACCEPTED).pk == second.pk
