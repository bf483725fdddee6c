"""Workbook intake (`manage.py intake` and pipeline/intake/): a workbook offered for an
entity-year is previewed against the current one (every rule, the order diff by No Invoice,
per-month totals) and may then replace it. Real files, real DuckDB, the ORM task queue."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
import subprocess
import sys
import threading
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.files import File
from django.core.management import call_command
from django.core.management.base import CommandError
from django_q.models import OrmQ

from pipeline_ops.models import PipelineRun, WorkbookChange, WorkbookVersion
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.intake.decide import accept, check_acceptable, reject, restore
from pipeline_ops.pipeline.intake.versions import Status, claim, run_preview, store
from pipeline_ops.pipeline.reports.labels import rupiah
from pipeline_ops.pipeline.runs.locking import lock_path
from pipeline_ops.pipeline.stages.extract import extract_workbook
from pipeline_ops.pipeline.workbook.sources import file_sha256
from tests.corpus import builders, hostile
from tests.warehouse_fixtures import manage_command
from tests.workbooks import build_workbook, order, standard_orders

pytestmark = pytest.mark.django_db
ENTITY, YEAR = "IONS", 2026


# --- helpers ---------------------------------------------------------------------------


def orders() -> dict[int, list[dict]]:
    """The standard JAN-MAR orders (10 a month), a fresh copy to edit."""
    return copy.deepcopy(standard_orders(YEAR))


def current_path(data_dir: Path) -> Path:
    return data_dir / "sources" / ENTITY / f"{ENTITY}-{YEAR}.xlsx"


def place_current(data_dir: Path, months: dict[int, list[dict]] | None = None) -> Path:
    """The current workbook, put in sources/ by hand (as before intake existed)."""
    path = current_path(data_dir)
    build_workbook(path, months=orders() if months is None else months)
    return path


def offered(
    tmp_path: Path, months: dict[int, list[dict]] | None = None, name: str = "offered.xlsx"
) -> Path:
    """A workbook offered from outside sources/ (an operator's download folder)."""
    path = tmp_path / "inbox" / name
    build_workbook(path, months=orders() if months is None else months)
    return path


def intake(
    path: Path, *flags: str, out: StringIO | None = None, err: StringIO | None = None
) -> tuple[str, str]:
    """`manage.py intake` in process: (stdout, stderr); a failure raises CommandError."""
    out, err = out or StringIO(), err or StringIO()
    call_command(
        "intake", "--entity", ENTITY, "--year", str(YEAR), str(path), *flags, stdout=out, stderr=err
    )
    return out.getvalue(), err.getvalue()


def intake_fails(path: Path, *flags: str, out: StringIO | None = None) -> CommandError:
    with pytest.raises(CommandError) as failure:
        intake(path, *flags, out=out)
    return failure.value


def intake_process(
    data_dir: Path, path: Path, *flags: str, timeout: float = 60, env: dict | None = None
) -> subprocess.CompletedProcess:
    """`manage.py intake` in a real process (the test must be transactional)."""
    command = manage_command(
        data_dir, "intake", "--entity", ENTITY, "--year", str(YEAR), str(path), *flags
    )
    command["env"].update(env or {})
    return subprocess.run(**command, capture_output=True, timeout=timeout, check=False)


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


def latest() -> WorkbookVersion:
    """The version the last `intake` offered (not an adopted hand-placed workbook)."""
    return WorkbookVersion.objects.exclude(original_name=current_path(Path()).name).latest("id")


def changes(version: WorkbookVersion) -> list[tuple]:
    """(kind, month, invoice, [[field, old, new], ...]) of each listed order."""
    rows = WorkbookChange.objects.filter(version=version).order_by("month", "invoice")
    return [(c.kind, c.month, c.invoice, c.fields["fields"]) for c in rows]


def counts(version: WorkbookVersion) -> tuple[int, int, int]:
    return tuple(version.summary[k] for k in ("added", "removed", "changed"))


def month_row(version: WorkbookVersion, month: int) -> dict:
    (row,) = [m for m in version.summary["months"] if m["month"] == month]
    return row


def totals(rows: list[dict]) -> tuple[int, int]:
    """(revenue, collected) of a month's orders, by docs/warehouse.md's definitions."""
    kept = [o for o in rows if o["status"] != "BATAL"]
    return sum(o["price"] - o["discount"] for o in kept), sum(o["paid"] for o in kept)


def sources_listing(data_dir: Path) -> dict[str, bytes]:
    root = data_dir / "sources"
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def preview_domain(entity, path: Path, *, name: str | None = None) -> WorkbookVersion:
    """What the admin's upload + the worker's task do, without the CLI."""
    with open(path, "rb") as handle:
        version = store(entity, YEAR, File(handle), name or path.name)
    return run_preview(version.pk)


class LockHolder:
    """Another process holding the pipeline lock, describing itself like a running sync."""

    SCRIPT = (
        "import fcntl, json, os, sys\n"
        "handle = open(sys.argv[1], 'a+')\n"
        "fcntl.flock(handle.fileno(), fcntl.LOCK_EX)\n"
        "handle.seek(0); handle.truncate()\n"
        "handle.write(json.dumps({'pid': os.getpid(), 'run_id': 41, 'stage': 'sync',"
        " 'entity': 'IONS', 'year': 2026}))\n"
        "handle.flush()\n"
        "print('held', flush=True)\n"
        "sys.stdin.read()\n"
    )

    def __init__(self):
        lock_path().parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", self.SCRIPT, str(lock_path())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout.readline().strip() == "held"
        self.released_at: float | None = None

    def release(self) -> None:
        if self.proc.poll() is None:
            self.released_at = time.monotonic()  # nobody else can hold it before this
            self.proc.stdin.close()
            self.proc.wait(timeout=10)

    def release_after(self, seconds: float) -> threading.Timer:
        timer = threading.Timer(seconds, self.release)
        timer.start()
        return timer


@pytest.fixture
def lock_holder():
    holders: list[LockHolder] = []

    def hold() -> LockHolder:
        holders.append(LockHolder())
        return holders[-1]

    yield hold
    for holder in holders:
        holder.release()


# --- the diff --------------------------------------------------------------------------


def test_an_identical_workbook_previews_with_no_changes_and_exit_0(entity, data_dir, tmp_path):
    place_current(data_dir)

    out, _err = intake(offered(tmp_path))

    version = latest()
    assert version.status == Status.PREVIEWED
    assert counts(version) == (0, 0, 0) and version.summary["errors"] == 0
    assert changes(version) == []
    assert "no order changes" in out
    assert "Total: 0 added, 0 removed, 0 changed; 0 error(s)" in out


def test_a_preview_after_a_month_scoped_extract_still_compares_every_month(
    entity, data_dir, tmp_path
):
    place_current(data_dir)
    # `sync --month 2` (or `extract --month 2`) of this very workbook: only FEB's file is kept.
    call_command(
        "extract", "--entity", ENTITY, "--year", str(YEAR), "--month", "2", stdout=StringIO()
    )

    intake(offered(tmp_path))

    version = latest()
    assert changes(version) == [], "JAN and MAR are in the current workbook, not added"
    assert (version.summary["added"], version.summary["removed"]) == (0, 0)


def test_an_order_only_in_the_offered_workbook_is_added_in_its_month(entity, data_dir, tmp_path):
    place_current(data_dir)
    months = orders()
    months[2].append(order(invoice="INV-NEW-1", date=dt.datetime(YEAR, 2, 27)))

    out, _err = intake(offered(tmp_path, months))

    version = latest()
    assert counts(version) == (1, 0, 0)
    assert changes(version) == [("added", 2, "INV-NEW-1", [])]
    assert [(m["month"], m["added"]) for m in version.summary["months"]] == [(1, 0), (2, 1), (3, 0)]
    assert "  Feb: +1 added, -0 removed, 0 changed;" in out


def test_an_order_missing_from_the_offered_workbook_is_removed_from_its_old_month(
    entity, data_dir, tmp_path
):
    place_current(data_dir)
    months = orders()
    gone = months[3].pop(4)

    intake(offered(tmp_path, months))

    version = latest()
    assert counts(version) == (0, 1, 0)
    assert changes(version) == [("removed", 3, gone["invoice"], [])]
    assert month_row(version, 3)["removed"] == 1


def test_a_changed_price_lists_the_field_old_to_new_as_typed_values(entity, data_dir, tmp_path):
    place_current(data_dir)
    months = orders()
    row = months[1][0]  # LUNAS, TM-SD-REG 1,500,000, paid in full
    row.update(price=1_250_000, paid=1_250_000)

    intake(offered(tmp_path, months))

    version = latest()
    assert counts(version) == (0, 0, 1)
    assert changes(version) == [
        (
            "changed",
            1,
            row["invoice"],
            [["price", "1500000", "1250000"], ["paid", "1500000", "1250000"]],
        ),
    ]
    assert month_row(version, 1)["changed"] == 1


def test_it_matches_an_invoice_retyped_in_another_letter_case_as_the_same_order(
    entity, data_dir, tmp_path
):
    before = orders()
    invoice = before[2][3]["invoice"]
    before[2][3]["invoice"] = invoice.lower()
    place_current(data_dir, before)

    intake(offered(tmp_path))  # the same order, its invoice now typed in capitals

    version = latest()
    assert invoice != invoice.lower()
    assert counts(version) == (0, 0, 1), "not removed and added again"
    assert changes(version) == [("changed", 2, invoice, [["invoice", invoice.lower(), invoice]])]
    assert version.summary["touched_months"] == [2]


def test_a_price_typed_as_rupiah_text_or_as_a_number_is_not_a_change(entity, data_dir, tmp_path):
    as_text = orders()
    as_text[2][0].update(price="Rp 1.250.000", paid="Rp. 1.250.000,-", discount="0")
    place_current(data_dir, as_text)
    as_numbers = orders()
    as_numbers[2][0].update(price=1_250_000, paid=1_250_000, discount=0)

    intake(offered(tmp_path, as_numbers))

    version = latest()
    assert changes(version) == []
    assert (version.summary["changed"], version.summary["errors"]) == (0, 0)


def test_an_order_moved_to_another_month_is_one_change_of_its_month(entity, data_dir, tmp_path):
    place_current(data_dir)
    months = orders()
    moved = months[2].pop(0)
    months[3].append(moved | {"date": dt.datetime(YEAR, 3, 30)})  # a date inside its new month

    out, _err = intake(offered(tmp_path, months))

    version = latest()
    assert counts(version) == (0, 0, 1)
    assert changes(version) == [
        (
            "changed",
            3,
            moved["invoice"],
            [["month", "2", "3"], ["order_date", "2026-02-01", "2026-03-30"]],
        ),
    ]
    per_month = [(m["month"], m["removed"], m["changed"]) for m in version.summary["months"]]
    assert per_month == [(1, 0, 0), (2, 0, 0), (3, 0, 1)]
    assert "  Mar: +0 added, -0 removed, 1 changed;" in out


def test_month_totals_move_old_to_new_with_each_kind_of_change(entity, data_dir, tmp_path):
    before = orders()
    place_current(data_dir, before)
    after = orders()
    after[1].append(order(invoice="INV-NEW-1", date=dt.datetime(YEAR, 1, 28)))  # +1.5M, +1.5M
    after[1].append(
        order(invoice="INV-NEW-2", date=dt.datetime(YEAR, 1, 29), status="BATAL", paid=300_000)
    )  # cancelled: counts in neither
    after[2][0].update(paid=after[2][0]["paid"] - 500_000, status="CICIL")  # collected -0.5M
    moved = after[3].pop(2)  # MAR → FEB
    after[2].append(moved | {"date": dt.datetime(YEAR, 2, 27)})

    out, _err = intake(offered(tmp_path, after))

    version = latest()
    for month in (1, 2, 3):
        row = month_row(version, month)
        old, new = totals(before[month]), totals(after[month])
        assert (row["revenue"], row["collected"]) == ([old[0], new[0]], [old[1], new[1]]), month
    assert month_row(version, 1)["revenue"][1] - month_row(version, 1)["revenue"][0] == 1_500_000
    assert month_row(version, 2)["collected"][1] - month_row(version, 2)["collected"][0] == (
        totals([moved])[1] - 500_000
    )
    jan_old, jan_new = month_row(version, 1)["revenue"]
    assert f"revenue {rupiah(jan_old)} → {rupiah(jan_new)} (+Rp 1.500.000)" in out


# --- errors ----------------------------------------------------------------------------


def with_a_blank_student() -> dict[int, list[dict]]:
    months = orders()
    months[2][3].update(student="   ")
    return months


def test_a_workbook_with_errors_exits_1_naming_how_many(entity, data_dir, tmp_path):
    place_current(data_dir)

    failure = intake_fails(offered(tmp_path, with_a_blank_student()))

    assert failure.returncode == 1
    assert str(failure) == "offered.xlsx: 1 validation error(s)"
    version = latest()
    assert (version.status, version.summary["errors"]) == (Status.PREVIEWED, 1)
    assert month_row(version, 2)["blocked"] is True


def test_accept_of_a_workbook_with_errors_is_refused_without_accept_errors(
    entity, data_dir, tmp_path, orm_broker
):
    before = place_current(data_dir).read_bytes()

    failure = intake_fails(offered(tmp_path, with_a_blank_student()), "--accept")

    assert failure.returncode == 1
    assert "has 1 validation error(s)" in str(failure) and "--accept-errors" in str(failure)
    assert "\n" not in str(failure)
    assert current_path(data_dir).read_bytes() == before
    assert latest().status == Status.PREVIEWED
    assert not PipelineRun.objects.exists()


def test_accept_errors_accepts_a_workbook_with_errors(entity, data_dir, tmp_path, orm_broker):
    place_current(data_dir)
    path = offered(tmp_path, with_a_blank_student())

    out, _err = intake(path, "--accept", "--accept-errors")

    version = latest()
    assert version.status == Status.ACCEPTED
    assert current_path(data_dir).read_bytes() == path.read_bytes()
    assert "Accepted: offered.xlsx is the current workbook" in out


def test_accept_errors_without_accept_is_a_flag_error(entity, tmp_path):
    failure = intake_fails(offered(tmp_path), "--accept-errors")
    assert failure.returncode == 2


# --- --json ----------------------------------------------------------------------------


def test_json_prints_one_object_with_counts_months_and_issues(entity, data_dir, tmp_path):
    place_current(data_dir)
    months = with_a_blank_student()
    months[1].append(order(invoice="INV-NEW-1", date=dt.datetime(YEAR, 1, 28)))

    out = StringIO()
    failure = intake_fails(offered(tmp_path, months), "--json", out=out)

    assert failure.returncode == 1
    summary = json.loads(out.getvalue())  # the whole of stdout
    for key in ("errors", "warnings", "added", "removed", "changed"):
        assert type(summary[key]) is int, key
    # the blank student is an error and a change
    assert (summary["errors"], summary["added"], summary["removed"], summary["changed"]) == (
        1, 1, 0, 1,
    )  # fmt: skip
    assert [m["month"] for m in summary["months"]] == [1, 2, 3]
    assert summary["months"][0]["added"] == 1
    (issue,) = [i for i in summary["issues"] if i["severity"] == "error"]
    assert {"cell", "rule", "message"} <= set(issue)
    assert issue["cell"].startswith("FEB!") and issue["rule"] and issue["message"]


def test_json_with_accept_still_prints_one_json_object(entity, data_dir, tmp_path, orm_broker):
    place_current(data_dir)

    out, _err = intake(offered(tmp_path), "--json", "--accept")

    summary = json.loads(out)  # a script reads stdout as one object, accept or not
    assert summary["errors"] == 0
    assert latest().status == Status.ACCEPTED


# --- hostile input ---------------------------------------------------------------------


def random_bytes(path: Path) -> None:
    """4 KiB of noise: no zip signature, not text."""
    path.write_bytes(b"\x00" + random.Random(7).randbytes(4095))


HOSTILE = {
    "random bytes named .xlsx": (random_bytes, {}, "the file is not a workbook"),
    "an .ods renamed .xlsx": (builders.ods, {}, "the file is an OpenDocument spreadsheet"),
    "a file over the size limit": (
        builders.base,
        {"WORKBOOK_MAX_BYTES": "1000"},
        "the limit is 1,000 bytes",
    ),
    "a FIFO": (hostile.fifo, {}, "is a named pipe (FIFO), not a workbook file"),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_input_is_refused_in_one_line_with_exit_1_and_sources_untouched(
    kind, entity, data_dir, tmp_path
):
    place_current(data_dir)
    before = sources_listing(data_dir)
    build, env, expected = HOSTILE[kind]
    path = tmp_path / "inbox" / "hostile.xlsx"
    path.parent.mkdir(parents=True)
    build(path)

    proc = intake_process(data_dir, path, "--accept", env=env, timeout=60)

    assert proc.returncode == 1, proc.stderr
    assert expected in one_line(proc.stderr)
    assert sources_listing(data_dir) == before
    assert not PipelineRun.objects.exists()
    offered_versions = WorkbookVersion.objects.exclude(original_name=current_path(data_dir).name)
    assert set(offered_versions.values_list("status", flat=True)) <= {Status.FAILED}


def test_a_refusal_names_the_offered_file_not_its_deleted_scratch_copy(entity, data_dir, tmp_path):
    path = tmp_path / "inbox" / "hostile.xlsx"
    path.parent.mkdir(parents=True)
    random_bytes(path)

    failure = intake_fails(path)

    assert failure.returncode == 1
    assert "the file is not a workbook" in str(failure)
    assert str(data_dir / "intake") not in str(failure), "a scratch path the operator never gave"
    assert "hostile.xlsx" in str(failure)
    assert not WorkbookVersion.objects.exists()  # the CLI refuses before storing a copy

    # An upload (the admin's path) is stored first; its preview fails naming it the same way.
    with open(path, "rb") as handle:
        stored = store(entity, YEAR, File(handle), "hostile.xlsx")
    version = run_preview(stored.pk)
    assert version.status == Status.FAILED
    assert version.error.startswith("hostile.xlsx: the file is not a workbook")
    assert str(data_dir / "intake") not in version.error


def test_a_workbook_over_the_size_setting_is_refused_in_process(entity, tmp_path, settings):
    settings.WORKBOOK_MAX_BYTES = 1_000
    path = tmp_path / "big.xlsx"
    builders.base(path)

    failure = intake_fails(path)

    assert failure.returncode == 1
    assert "the limit is 1,000 bytes (WORKBOOK_MAX_BYTES)" in str(failure)
    assert not WorkbookVersion.objects.exists()  # refused before a copy was stored


# --- accept ----------------------------------------------------------------------------


def test_accept_replaces_the_workbook_keeps_a_copy_and_queues_a_sync_of_the_changed_months(
    entity, data_dir, tmp_path, orm_broker
):
    place_current(data_dir)
    months = orders()
    months[2].append(order(invoice="INV-NEW-1", date=dt.datetime(YEAR, 2, 27)))
    months[3][0].update(student="Budi Santosa")
    path = offered(tmp_path, months)

    out, _err = intake(path, "--accept")

    version = latest()
    dest = current_path(data_dir)
    assert version.status == Status.ACCEPTED and version.decided_at is not None
    assert dest.read_bytes() == path.read_bytes()
    assert file_sha256(dest) == version.sha256
    kept = dest.parent / ".versions" / f"{version.sha256}.xlsx"
    assert kept.read_bytes() == path.read_bytes()
    assert not list(dest.parent.glob(".intake-*")), "no temporary file left behind"
    earlier = WorkbookVersion.objects.exclude(pk=version.pk).get()
    assert (earlier.status, earlier.by) == (Status.SUPERSEDED, "file system")
    run = version.sync_run
    assert (run.stage, run.status, run.trigger) == ("sync", "queued", "intake")
    assert (run.entity.code, run.year, run.month, run.month_end) == (ENTITY, YEAR, 2, 3)
    (task,) = OrmQ.objects.all()
    assert (task.func(), task.args()) == ("pipeline_ops.tasks.execute_run", (run.pk,))
    assert f"sync run {run.pk} queued" in out


def test_accept_with_no_sync_queues_nothing(entity, data_dir, tmp_path, orm_broker):
    place_current(data_dir)
    months = orders()
    months[1].pop()
    path = offered(tmp_path, months)

    out, _err = intake(path, "--accept", "--no-sync")

    version = latest()
    assert version.status == Status.ACCEPTED and version.sync_run is None
    assert current_path(data_dir).read_bytes() == path.read_bytes()
    assert not PipelineRun.objects.exists() and not OrmQ.objects.exists()
    assert "queued" not in out


def test_accept_of_an_identical_workbook_queues_no_sync(entity, data_dir, tmp_path, orm_broker):
    place_current(data_dir)

    intake(offered(tmp_path), "--accept")

    assert latest().sync_run is None
    assert not PipelineRun.objects.exists()


def test_the_first_workbook_of_an_entity_year_is_all_added_and_accepted(
    entity, data_dir, tmp_path, orm_broker
):
    path = offered(tmp_path)

    out, _err = intake(path, "--accept")

    version = latest()
    assert version.base_sha256 == "" and "against no current workbook" in out
    assert (version.summary["added"], version.summary["removed"]) == (30, 0)
    assert current_path(data_dir).read_bytes() == path.read_bytes()
    assert (version.sync_run.month, version.sync_run.month_end) == (1, 3)


def test_a_moved_orders_sync_covers_the_month_it_left(entity, data_dir, tmp_path, orm_broker):
    place_current(data_dir)
    months = orders()
    moved = months[1].pop(0)
    months[2].append(moved | {"date": dt.datetime(YEAR, 2, 27)})  # JAN → FEB: JAN changes too

    intake(offered(tmp_path, months), "--accept")

    run = latest().sync_run
    assert run is not None
    assert (run.month, run.month_end) == (1, 2), "JAN still holds the order in the warehouse"


def test_the_sync_queued_for_a_workbook_without_a_month_sheet_can_extract_its_months(
    entity, data_dir, tmp_path, orm_broker
):
    place_current(data_dir)
    months = orders()
    del months[3]  # MAR's sheet is gone: its ten orders are removed

    intake(offered(tmp_path, months), "--accept")

    run = latest().sync_run
    # A whole-year sync: a month-scoped one could not extract MAR, and only a whole-year
    # load removes MAR's old orders.
    assert run is not None and (run.month, run.month_end) == (None, None)
    # The queued sync starts by extracting the accepted workbook: that works.
    result = extract_workbook(current_path(data_dir), ENTITY, YEAR, None, tmp_path / "extract")
    assert sorted(result.orders) == [1, 2]


def test_a_hand_placed_workbook_is_adopted_as_an_accepted_version_by_the_file_system(
    entity, data_dir, tmp_path
):
    current = place_current(data_dir)

    intake(offered(tmp_path))

    adopted = WorkbookVersion.objects.get(sha256=file_sha256(current), status=Status.ACCEPTED)
    assert adopted.by == "file system" and adopted.uploaded_by is None
    assert adopted.original_name == current.name
    assert adopted.upload.read() == current.read_bytes()
    assert latest().base_sha256 == adopted.sha256

    intake(offered(tmp_path, name="offered-again.xlsx"))
    assert WorkbookVersion.objects.filter(status=Status.ACCEPTED).count() == 1, "adopted once"


# --- concurrency -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_previews_for_one_entity_year_at_once_both_succeed_with_their_own_results(
    entity, data_dir, tmp_path
):
    place_current(data_dir)
    more = orders()
    more[2].append(order(invoice="INV-NEW-1", date=dt.datetime(YEAR, 2, 27)))
    fewer = orders()
    fewer[3].pop(0)
    paths = [offered(tmp_path, more, "more.xlsx"), offered(tmp_path, fewer, "fewer.xlsx")]

    procs = [
        subprocess.Popen(
            **manage_command(
                data_dir, "intake", "--entity", ENTITY, "--year", str(YEAR), str(path), "--json"
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for path in paths
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]

    assert [proc.returncode for proc in procs] == [0, 0], outputs
    results = [json.loads(out) for out, _err in outputs]
    assert [(r["added"], r["removed"]) for r in results] == [(1, 0), (0, 1)]
    by_name = {v.original_name: v for v in WorkbookVersion.objects.all()}
    assert (by_name["more.xlsx"].status, by_name["fewer.xlsx"].status) == ("previewed",) * 2
    assert by_name["more.xlsx"].summary["added"] == 1
    assert by_name["fewer.xlsx"].summary["removed"] == 1
    assert WorkbookVersion.objects.filter(status=Status.ACCEPTED).count() == 1
    assert not (data_dir / "intake").exists() or not any((data_dir / "intake").iterdir())


def test_accept_waits_for_a_sync_holding_the_pipeline_lock_then_completes(
    entity, data_dir, tmp_path, orm_broker, lock_holder
):
    place_current(data_dir)
    months = orders()
    months[2].pop(1)
    path = offered(tmp_path, months)
    holder = lock_holder()
    timers: list[threading.Timer] = []

    class Stderr(StringIO):
        """The sync finishes a moment after accept has said it waits for it."""

        def write(self, text: str) -> int:
            if "Waiting for the pipeline lock" in text and not timers:
                timers.append(holder.release_after(0.5))
            return super().write(text)

    err = Stderr()
    out, _err = intake(path, "--accept", err=err)
    finished = time.monotonic()

    assert timers, "accept never waited for the lock"
    timers[0].join()
    assert holder.released_at is not None and finished >= holder.released_at
    assert "Waiting for the pipeline lock held by run 41 sync IONS" in err.getvalue()
    assert latest().status == Status.ACCEPTED
    assert current_path(data_dir).read_bytes() == path.read_bytes()
    assert "Accepted:" in out


def test_accept_gives_up_after_the_lock_timeout_and_puts_the_version_back(
    entity, data_dir, tmp_path, orm_broker, lock_holder, settings
):
    settings.PIPELINE_LOCK_TIMEOUT = 0.5
    before = place_current(data_dir).read_bytes()
    months = orders()
    months[2].pop(1)
    lock_holder()

    failure = intake_fails(offered(tmp_path, months), "--accept")

    assert failure.returncode == 1
    assert "\n" not in str(failure)
    assert str(failure).startswith(
        "Gave up after 0.5s waiting for the pipeline lock held by run 41"
    )
    version = latest()
    assert version.status == Status.PREVIEWED
    assert version.error == str(failure)
    assert current_path(data_dir).read_bytes() == before
    assert not PipelineRun.objects.exists()


def test_accept_of_a_version_previewed_against_an_older_workbook_is_refused(
    entity, data_dir, tmp_path, orm_broker
):
    place_current(data_dir)
    first = orders()
    first[1].pop()
    second = orders()
    second[2].pop()
    a = preview_domain(entity, offered(tmp_path, first, "a.xlsx"))
    b = preview_domain(entity, offered(tmp_path, second, "b.xlsx"))
    assert a.base_sha256 == b.base_sha256 != ""

    for version in (a, b):
        check_acceptable(version, with_errors=False)
        assert claim(version, Status.PREVIEWED, Status.ACCEPTING)
    accept(a.pk)
    with pytest.raises(PipelineError, match="changed since this version was previewed"):
        accept(b.pk)

    b.refresh_from_db()
    assert b.status == Status.PREVIEWED and "changed since this version was previewed" in b.error
    assert file_sha256(current_path(data_dir)) == a.sha256


def test_the_accept_task_reports_a_changed_workbook_instead_of_raising(
    entity, data_dir, tmp_path, orm_broker
):
    from pipeline_ops.tasks import intake_accept

    current = place_current(data_dir)
    version = preview_domain(entity, offered(tmp_path))
    build_workbook(current, months={2: [order()]})  # replaced by hand after the preview
    claim(version, Status.PREVIEWED, Status.ACCEPTING)

    result = intake_accept(version.pk)

    assert result.startswith("not accepted: ") and "changed since this version" in result
    version.refresh_from_db()
    assert version.status == Status.PREVIEWED


# --- reject and restore ----------------------------------------------------------------


def test_reject_deletes_the_stored_upload_and_marks_the_version_rejected(
    entity, data_dir, tmp_path, operator
):
    place_current(data_dir)
    version = preview_domain(entity, offered(tmp_path))
    stored = Path(version.upload.path)
    assert stored.is_file() and stored.is_relative_to(data_dir / "uploads")

    assert reject(version, operator) is True

    version.refresh_from_db()
    assert version.status == Status.REJECTED and version.decided_by == operator
    assert not stored.exists() and not version.upload
    assert reject(version, operator) is False, "a rejected version is not rejected twice"


def test_a_rejection_records_when_it_was_decided(entity, data_dir, tmp_path, operator):
    version = preview_domain(entity, offered(tmp_path))

    reject(version, operator)

    version.refresh_from_db()
    assert version.decided_at is not None, "accepts record it; a rejection is a decision too"


def test_a_rejected_version_cannot_be_restored(entity, data_dir, tmp_path, operator):
    version = preview_domain(entity, offered(tmp_path))
    reject(version, operator)

    with pytest.raises(PipelineError, match=f"Version {version.pk} is rejected: only accepted"):
        restore(version, operator)
    assert WorkbookVersion.objects.count() == 1


def test_restore_creates_a_new_queued_version_with_the_same_sha256(
    entity, data_dir, tmp_path, operator, orm_broker
):
    place_current(data_dir)
    months = orders()
    months[1].pop()
    intake(offered(tmp_path, months), "--accept", "--no-sync")
    intake(offered(tmp_path, name="offered-2.xlsx"), "--accept", "--no-sync")
    earlier = WorkbookVersion.objects.get(original_name="offered.xlsx")
    assert earlier.status == Status.SUPERSEDED

    copy_ = restore(earlier, operator)

    assert copy_.pk != earlier.pk
    assert (copy_.status, copy_.sha256, copy_.uploaded_by) == (
        Status.QUEUED,
        earlier.sha256,
        operator,
    )
    assert copy_.upload.read() == earlier.upload.read()
    (task,) = OrmQ.objects.all()
    assert (task.func(), task.args()) == ("pipeline_ops.tasks.intake_preview", (copy_.pk,))
    previewed = run_preview(copy_.pk)
    assert previewed.status == Status.PREVIEWED
    assert previewed.summary["removed"] == 1  # against offered-2.xlsx, the current one


def test_rejecting_a_restored_copy_keeps_the_file_its_original_still_uses(
    entity, data_dir, tmp_path, operator, orm_broker
):
    place_current(data_dir)
    months = orders()
    months[1].pop()
    intake(offered(tmp_path, months), "--accept", "--no-sync")
    original = WorkbookVersion.objects.get(original_name="offered.xlsx")
    copy_ = restore(original, operator)

    assert reject(copy_, operator)

    original.refresh_from_db()
    assert Path(original.upload.path).is_file()
