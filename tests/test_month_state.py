"""The table of docs/pipeline.md, "One truth for a month's state", walked with real runs:
real workbooks, real `sync`, `publish` and `report`. For each event the board cell, the
banner and the report's note say the same thing, and stop saying it once the cause is gone.
"""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from pipeline_ops.console.banner import banner
from pipeline_ops.console.board import board
from pipeline_ops.models import MonthState, PipelineRun
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.reports.notes import withheld_notices
from pipeline_ops.pipeline.stages.report import run_report
from pipeline_ops.pipeline.workbook.sources import file_sha256
from tests.workbooks import Layout, build_workbook, standard_orders

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def jakarta(settings):
    settings.TIME_ZONE = "Asia/Jakarta"  # the notes name the zone: WIB


@pytest.fixture
def source(entity, data_dir) -> Path:
    return data_dir / "sources" / "IONS" / "IONS-2026.xlsx"


def workbook(path: Path, *, march: list[dict] | None = None, **kwargs) -> Layout:
    """The standard January–March workbook, with March's orders replaced when given."""
    months = standard_orders()
    if march is not None:
        months[3] = march
    return build_workbook(path, months=months, **kwargs)


def ok(command: str, *flags: str) -> str:
    """`manage.py <command> --entity IONS --year 2026 <flags>`, which must succeed: its stderr."""
    err = StringIO()
    call_command(command, "--entity", "IONS", "--year", "2026", *flags,
                 stdout=StringIO(), stderr=err)  # fmt: skip
    return err.getvalue()


def refused(command: str, *flags: str) -> str:
    with pytest.raises(CommandError) as failure:
        ok(command, *flags)
    return str(failure.value)


def cells() -> list:
    ((_entity, found, _marks),) = board(2026)
    return found


def cell(month: int):
    return cells()[month - 1]


def words() -> list[str]:
    """What January to April say on the board."""
    return [c.label for c in cells()[:4]]


def marks() -> dict[str, str]:
    """The Reports column: `{"2026": "failed", "Q1": "stale"}`."""
    ((_entity, _cells, found),) = board(2026)
    return {mark.label: mark.word for mark in found}


def details(month: int) -> dict[str, str]:
    """The report marks under a month's word: `{"TM": "built", "report": "failed"}`."""
    return {mark.label: mark.word for mark in cell(month).units}


def news() -> tuple[int, int]:
    """The banner's (open failures, blocked months)."""
    found = banner(User(is_superuser=True, is_active=True))  # every entity's news
    return found.failed, found.blocked


def index(client) -> str:
    return client.get(reverse("admin:index"), {"year": 2026}).content.decode()


def open_failures(client) -> list[PipelineRun]:
    """What the banner's link (`?failed=open`) lists."""
    listed = client.get(reverse("admin:pipeline_ops_pipelinerun_changelist") + "?failed=open")
    return list(listed.context["cl"].result_list)


def report_json(data_dir: Path, stem: str) -> dict:
    return json.loads((data_dir / "reports" / "IONS" / f"{stem}.json").read_text())


def blank_students(rows: list[dict], count: int) -> list[dict]:
    return [{**row, "student": None} if i < count else row for i, row in enumerate(rows)]


def test_a_blocked_month_is_blocked_on_the_board_counted_by_the_banner_and_withheld_until_fixed(
    source, data_dir, admin_client
):
    layout = workbook(source, march=blank_students(standard_orders()[3], 2))
    first = layout.cell(3, 0, "Nama Siswa")

    assert f"Mar (2 error(s); first: {first} blank_student" in refused("sync")

    march = cell(3)
    assert (march.blocked_errors, march.blocked.split()[:2]) == (2, [first, "blank_student:"])
    assert march.failure is None  # blocked is not a failure: the sync did its work
    assert [c.blocked_errors for c in cells()[:2]] == [0, 0] and words()[:2] == ["transformed"] * 2
    assert news() == (0, 1)
    html = index(admin_client)
    assert f'title="Blocked by 2 validation errors; first: {first} blank_student' in html

    ok("report", "--type", "quarterly", "--month", "1-3")
    q1 = report_json(data_dir, "IONS-2026-Q1")
    assert q1["months"] == [1, 2] and q1["warnings"] == []
    assert q1["withheld_months"] == [{"month": 3, "errors": 2, "first_cell": first}]
    notice = f"March is withheld: its sheet has 2 errors, first at {first}."
    assert withheld_notices(q1) == [notice]
    assert notice in (data_dir / "reports/IONS/IONS-2026-Q1.html").read_text()
    assert words()[:3] == ["reported", "reported", "extracted"] and marks() == {"Q1": "built"}
    assert "Refusing to report IONS-2026-03: validation blocks IONS 2026 Mar" in refused(
        "report", "--month", "3"
    )
    assert details(3) == {"report": "failed"} and news() == (1, 1)

    workbook(source)  # the sheet is fixed
    ok("sync")

    assert cell(3).blocked_errors == 0 and words()[2] == "transformed"
    assert marks() == {"Q1": "stale"}  # built before March's rows came in
    assert news() == (1, 0)  # the refused March report is still open
    ok("report", "--type", "quarterly", "--month", "1-3")
    ok("report", "--month", "3")
    q1 = report_json(data_dir, "IONS-2026-Q1")
    assert (q1["months"], q1["withheld_months"], withheld_notices(q1)) == ([1, 2, 3], [], [])
    assert "is withheld" not in (data_dir / "reports/IONS/IONS-2026-Q1.html").read_text()
    assert words()[:3] == ["reported"] * 3 and marks() == {"Q1": "built"} and details(3) == {}
    assert news() == (0, 0)


def test_a_failed_yearly_report_marks_the_report_not_the_months(source, data_dir, admin_client):
    workbook(source)
    ok("sync")
    (data_dir / "reports").mkdir()
    (data_dir / "reports" / "IONS").write_text("")  # a file where the reports folder goes

    error = refused("report", "--type", "yearly")

    assert "FileExistsError" in error
    assert words() == ["transformed"] * 3 + ["—"]
    assert [c.failure for c in cells()] == [None] * 12 and not any(c.stale for c in cells())
    assert marks() == {"2026": "failed"} and news() == (1, 0)
    html = index(admin_client)
    assert 'title="IONS-2026: failed (clears with a successful report IONS-2026)">2026 ✖' in html
    assert not re.search(r'<td class="[^"]*fresh-failed', html)  # no month is marked

    (data_dir / "reports" / "IONS").unlink()
    ok("report", "--type", "yearly")

    assert words() == ["reported"] * 3 + ["—"] and marks() == {"2026": "built"}
    assert news() == (0, 0)
    assert report_json(data_dir, "IONS-2026")["warnings"] == []


def test_a_unit_report_is_a_detail_under_the_entitys_word_never_the_word(source, data_dir):
    workbook(source)
    ok("sync")
    ok("report", "--month", "2", "--unit", "TM")

    assert cell(2).label == "transformed" and details(2) == {"TM": "built"}

    ok("report", "--month", "2")
    (data_dir / "reports" / "IONS").rename(data_dir / "reports" / "moved")
    (data_dir / "reports" / "IONS").write_text("")  # the reports folder cannot be written
    refused("report", "--month", "2", "--unit", "DR")

    assert cell(2).label == "reported" and cell(2).failure is None
    assert details(2) == {"TM": "built", "DR": "failed"} and news() == (1, 0)

    (data_dir / "reports" / "IONS").unlink()
    ok("report", "--month", "2", "--unit", "DR")
    assert details(2) == {"TM": "built", "DR": "built"} and news() == (0, 0)

    april = refused("report", "--month", "4", "--unit", "DR")  # no April sheet yet
    assert "No data loaded for IONS 2026 month 4" in april
    assert cell(4).label == "—" and details(4) == {"DR": "failed"} and news() == (1, 0)
    assert marks() == {}  # monthly reports sit in their month, not in the Reports column


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") + " WIB"


def test_a_new_workbook_version_changing_only_march_makes_only_march_and_its_reports_stale(
    source, data_dir
):
    workbook(source)
    ok("sync")
    ok("publish", "--month", "1-3")
    for flags in (["--month", "2"], ["--month", "3"], ["--type", "quarterly", "--month", "1-3"],
                  ["--type", "quarterly", "--month", "1-3", "--unit", "DR"]):  # fmt: skip
        ok("report", *flags)
    before = {s.month: s.changed_at for s in MonthState.objects.filter(month__in=[1, 2])}
    march = standard_orders()[3]
    workbook(source, march=[{**march[0], "student": "Rina Kusuma"}, *march[1:]])  # a TM order

    ok("extract")
    ok("load")

    assert [c.stale_for for c in cells()[:3]] == [
        [], [], ["the marts", "the ops DB", "the reports IONS-2026-03, IONS-2026-Q1"]
    ]  # fmt: skip
    assert {s.month: s.changed_at for s in MonthState.objects.filter(month__in=[1, 2])} == before
    assert details(3) == {"report": "stale"} and details(2) == {}
    assert marks() == {"Q1": "stale", "Q1-DR": "built"}  # the change is in TM's rows only
    assert news() == (0, 0)

    ok("report", "--month", "2")
    assert report_json(data_dir, "IONS-2026-02")["warnings"] == []
    stderr = ok("report", "--type", "quarterly", "--month", "1-3")
    load = PipelineRun.objects.filter(stage="load").latest("pk")
    (note,) = report_json(data_dir, "IONS-2026-Q1")["warnings"]
    assert note == (
        f"March 2026 changed on {local(load.completed_at)} (workbook version"
        f" {file_sha256(source)[:12]}) after these figures were prepared; ask an operator"
        " of IONS to bring the report up to date."
    )
    assert "manage.py" not in note and "manage.py sync --entity IONS --year 2026" in stderr

    # That Q1 was built over March's old marts: it is stale from the start, as its note says.
    assert marks() == {"Q1": "stale", "Q1-DR": "built"}

    ok("transform")
    assert cell(3).stale_for == ["the ops DB", "the reports IONS-2026-03, IONS-2026-Q1"]
    ok("publish", "--month", "3")
    ok("report", "--month", "3")
    assert marks() == {"Q1": "stale", "Q1-DR": "built"}  # until Q1 itself is built again
    ok("report", "--type", "quarterly", "--month", "1-3")
    assert [c.stale for c in cells()[:3]] == [False] * 3
    assert details(3) == {} and marks() == {"Q1": "built", "Q1-DR": "built"}


def test_a_re_sync_of_the_same_rows_changes_nothing(source, data_dir):
    workbook(source)
    ok("sync")
    ok("publish", "--month", "1-3")
    ok("report", "--type", "quarterly", "--month", "1-3")
    before = list(MonthState.objects.values_list("month", "changed_at", "fingerprint"))
    old = file_sha256(source)
    workbook(source, extra_sheets={"CATATAN": [["diperiksa ulang"]]})  # a new file, same rows
    assert file_sha256(source) != old

    ok("sync")

    assert list(MonthState.objects.values_list("month", "changed_at", "fingerprint")) == before
    assert words() == ["reported"] * 3 + ["—"] and not any(c.stale for c in cells())
    assert marks() == {"Q1": "built"} and news() == (0, 0)
    ok("report", "--type", "quarterly", "--month", "1-3")
    assert report_json(data_dir, "IONS-2026-Q1")["warnings"] == []


def test_a_failed_stage_marks_its_months_and_the_banner_until_a_later_sync_of_them_succeeds(
    source, admin_client
):
    workbook(source)
    ok("sync")
    source.write_bytes(b"half a workbook")  # a copy that stopped midway

    assert refused("sync").startswith("sync stopped at extract:")

    failed = PipelineRun.objects.get(stage="sync", status="failed")
    found = [(c.failure.run.stage, c.failure.root) if c.failure else None for c in cells()]
    assert found == [("extract", failed)] * 3 + [None] * 9
    assert words() == ["transformed"] * 3 + ["—"]  # the level stays
    assert news() == (1, 0)
    html = index(admin_client)
    assert "✖ extract failed" in html and failed.error_message[:60] in html
    assert open_failures(admin_client) == [failed]

    build_workbook(source, months={m: rows for m, rows in standard_orders().items() if m < 3})
    ok("sync")  # the whole year's sync succeeds: March's sheet is gone, its failure too

    assert words() == ["transformed"] * 2 + ["—", "—"]
    assert [c.failure for c in cells()] == [None] * 12 and news() == (0, 0)
    assert "✖ extract failed" not in index(admin_client) and open_failures(admin_client) == []


def test_a_chained_monthly_report_that_failed_before_knowing_its_month_clears_once_one_builds(
    source,
):
    with pytest.raises(PipelineError, match="no report tables yet"):
        run_report("IONS", 2026)  # what the monthly chain calls: no month given
    assert news()[0] == 1  # an open failure the banner counts

    workbook(source)
    ok("sync")
    run_report("IONS", 2026)  # the latest loaded month, March

    assert news()[0] == 0 and marks() == {}
    assert cell(3).label == "reported"
