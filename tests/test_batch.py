"""`sync --all [--changed]`, `rebuild_warehouse` and the replaced-warehouse check, with
real workbooks, real DuckDB files and real dbt builds."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from pipeline_ops.models import Entity, PipelineRun
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.warehouse import connect, warehouse_path
from pipeline_ops.tasks import nightly_sync
from tests.workbooks import build_workbook, default_targets, standard_orders, standard_workbook

pytestmark = pytest.mark.django_db
MARTS = ("mart_orders", "mart_enrollments", "mart_revenue_monthly", "mart_program_progress")


@pytest.fixture
def two_entities(entity, data_dir: Path) -> Path:
    Entity.objects.create(code="ACME", name="Acme")
    standard_workbook(data_dir / "sources" / "IONS" / "IONS-2026.xlsx")
    standard_workbook(data_dir / "sources" / "ACME" / "ACME-2026.xlsx", entity="ACME")
    return data_dir


def sync(*flags: str) -> str:
    out = StringIO()
    call_command("sync", *flags, stdout=out, stderr=StringIO())
    return out.getvalue()


def marts() -> dict[str, list[tuple]]:
    with pipeline_lock(), connect(read_only=True) as con:
        return {
            name: con.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall() for name in MARTS
        }


def syncs_of(code: str) -> int:
    return PipelineRun.objects.filter(stage="sync", entity__code=code).count()


def test_sync_all_builds_once_and_changed_then_syncs_only_an_edited_workbook(two_entities):
    out = sync("--all")
    assert "ACME 2026: synced, 30 orders" in out and "IONS 2026: synced, 30 orders" in out
    assert "one dbt build for 2 entity-year(s)" in out
    transforms = PipelineRun.objects.filter(stage="transform", status="success")
    assert sorted((t.entity.code, t.parent.stage) for t in transforms) == [
        ("ACME", "sync"), ("IONS", "sync"),
    ]  # fmt: skip
    assert nightly_sync() == "2 workbook-year(s) checked, all clean"  # nothing changed
    assert (syncs_of("ACME"), syncs_of("IONS")) == (1, 1)

    months = standard_orders()
    months[2] = months[2][:7]  # ACME's February loses three orders
    build_workbook(two_entities / "sources" / "ACME" / "ACME-2026.xlsx", months=months)
    out = sync("--all", "--changed")
    assert "ACME 2026: synced, 27 orders" in out and "IONS 2026: unchanged" in out
    assert (syncs_of("ACME"), syncs_of("IONS")) == (2, 1)
    acme_feb = [r for r in marts()["mart_orders"] if r[0] == "ACME" and r[2] == 2]
    assert len(acme_feb) == 7


def test_it_syncs_with_changed_a_workbook_whose_marts_are_behind_its_load(entity, data_dir):
    standard_workbook(data_dir / "sources" / "IONS" / "IONS-2026.xlsx")
    sync("--entity", "IONS", "--year", "2026")
    assert "IONS 2026: unchanged" in sync("--all", "--changed")
    # A load by hand that changes nothing leaves the marts current.
    call_command("load", "--entity", "IONS", "--year", "2026", stdout=StringIO())
    assert "IONS 2026: unchanged" in sync("--all", "--changed")
    # A changed workbook extracted and loaded by hand: the hash is the loaded one, but the
    # marts are behind its load.
    orders = standard_orders()
    orders[3][0] = {**orders[3][0], "student": "Rina Kusuma"}
    build_workbook(data_dir / "sources" / "IONS" / "IONS-2026.xlsx", months=orders)
    for stage in ("extract", "load"):
        call_command(stage, "--entity", "IONS", "--year", "2026", stdout=StringIO())
    last = {s: PipelineRun.objects.filter(stage=s).latest("id") for s in ("load", "transform")}
    assert last["load"].completed_at > last["transform"].completed_at

    out = sync("--all", "--changed")

    assert "IONS 2026: synced, 30 orders" in out, out
    newest = PipelineRun.objects.filter(stage="transform").latest("id")
    assert newest.status == "success" and newest.completed_at > last["load"].completed_at
    assert "IONS 2026: unchanged" in sync("--all", "--changed")  # caught up again


def test_a_workbook_only_dbt_rejects_fails_only_itself_in_the_batch(two_entities):
    targets = default_targets([1, 2, 3])
    build_workbook(two_entities / "sources" / "ACME" / "ACME-2026.xlsx",
                   months=standard_orders(), targets=targets + targets[:1])  # fmt: skip
    with pytest.raises(CommandError) as failure:
        sync("--all")
    assert failure.value.returncode == 1
    assert "1 of 2 workbook-year(s) did not sync cleanly: ACME 2026 failed" in str(failure.value)
    assert PipelineRun.objects.get(stage="sync", entity__code="IONS").status == "success"
    # ACME's duplicate target fails its own build; IONS's revenue mart is built regardless.
    assert {r[0] for r in marts()["mart_revenue_monthly"]} == {"IONS"}


@pytest.mark.parametrize(
    "flags",
    [("--all", "--entity", "IONS"), ("--changed", "--entity", "IONS", "--year", "2026"), ()],
)
def test_sync_refuses_flags_that_do_not_go_together(entity, flags):
    with pytest.raises(CommandError) as failure:
        sync(*flags)
    assert failure.value.returncode == 2


def test_a_deleted_warehouse_is_named_in_one_line_and_rebuilt_with_identical_marts(two_entities):
    sync("--all")
    before = marts()
    warehouse_path().unlink()

    with pytest.raises(CommandError) as failure:
        sync("--entity", "IONS", "--year", "2026")
    message = str(failure.value)
    assert failure.value.returncode == 1 and "\n" not in message
    assert "not the one this site's run history was recorded in" in message
    assert "manage.py rebuild_warehouse" in message

    out = StringIO()
    call_command("rebuild_warehouse", stdout=out)
    assert "Warehouse rebuilt: 2 workbook-year(s)." in out.getvalue()
    assert marts() == before
    (kept,) = two_entities.glob("warehouse.duckdb.replaced-*")  # the refused file, kept
    assert kept.stat().st_size > 0
    sync("--entity", "IONS", "--year", "2026")  # the history and the new file agree again
    ids = PipelineRun.objects.exclude(warehouse_id=None).values_list("warehouse_id", flat=True)
    assert len(ids) == len(set(ids))


def test_the_nightly_schedules_syncs_and_their_stages_say_a_schedule_launched_them(two_entities):
    sync("--all")  # by hand: from the command line
    months = standard_orders()
    months[3] = months[3][:5]  # IONS's March changes overnight; ACME's workbook does not
    build_workbook(two_entities / "sources" / "IONS" / "IONS-2026.xlsx", months=months)
    assert nightly_sync() == "2 workbook-year(s) checked, all clean"
    first_sync = PipelineRun.objects.filter(stage="sync", entity__code="IONS").earliest("id")
    nightly = PipelineRun.objects.filter(entity__code="IONS", pk__gt=first_sync.pk)
    nightly = nightly.exclude(parent=first_sync)
    assert {run.trigger for run in nightly} == {"schedule"}
    assert {run.stage for run in nightly} == {"sync", "extract", "load", "validate", "transform"}
    assert {run.trigger for run in PipelineRun.objects.filter(entity__code="ACME")} == {"command"}
