"""What a report says about its own data (pipeline/reports/notes.py): a reader's note in
the report (what changed and when, in TIME_ZONE with its name, whom to ask; never a
command) and the operator's line (stderr and the run log) with the command to run. Only
changes to the report's own months and unit count; notes never block a report."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command

from pipeline_ops.models import MonthState, Report
from pipeline_ops.pipeline.period import MonthRange, resolve_period
from pipeline_ops.pipeline.reports.notes import local, report_notes, withheld_notices
from pipeline_ops.pipeline.workbook.sources import file_sha256
from tests.workbooks import build_workbook, standard_orders, standard_workbook

pytestmark = pytest.mark.django_db

LOADED = datetime(2026, 12, 6, 16, 54, tzinfo=UTC)  # 23:54 in Jakarta
ASK = "ask an operator of IONS to bring the report up to date."
SYNC = "run `manage.py sync --entity IONS --year 2026`"


@pytest.fixture(autouse=True)
def jakarta(settings):
    settings.TIME_ZONE = "Asia/Jakarta"


@pytest.fixture
def source(entity, data_dir) -> Path:
    path = data_dir / "sources" / "IONS" / "IONS-2026.xlsx"
    standard_workbook(path)
    return path


def loaded(entity, source: Path, *, changed: dict[int, list[str]] = ()) -> None:
    """January–March loaded from `source` and transformed; `changed` months (→ units) were
    changed by a load after that transform, by workbook version `3f2a…`."""
    for month in (1, 2, 3):
        late = month in dict(changed)
        MonthState.objects.create(
            entity=entity, year=2026, month=month, has_data=True, level="transform",
            workbook_sha256=file_sha256(source), transformed_at=LOADED - timedelta(hours=1),
            changed_at=LOADED if late else LOADED - timedelta(hours=2),
            changed_sha256="3f2a" + "0" * 60, changed_units=dict(changed).get(month, ["*"]),
        )  # fmt: skip


def notes(source: Path, months: str, unit: str | None = None, kind: str = "quarterly"):
    span = MonthRange.parse(months)
    return report_notes(resolve_period("IONS", 2026, span, kind, unit), span.months, source)


def test_a_time_is_written_in_time_zone_with_the_zones_name(settings):
    assert local(LOADED) == "2026-12-06 23:54 WIB"
    settings.TIME_ZONE = "Asia/Makassar"
    assert local(LOADED) == "2026-12-07 00:54 WITA"


def test_a_month_changed_after_its_marts_were_built_gets_a_note_and_an_operators_line(
    entity, source
):
    loaded(entity, source, changed={3: ["*"]})

    found = notes(source, "1-3")

    what = "March 2026 changed on 2026-12-06 23:54 WIB (workbook version 3f2a00000000)"
    assert found.readers == [f"{what} after these figures were prepared; {ASK}"]
    assert found.operators == [f"{what} after the last transform: {SYNC}."]
    assert "manage.py" not in found.readers[0]
    assert found.current_hash == file_sha256(source)


def test_only_the_reports_own_months_and_unit_count(entity, source):
    loaded(entity, source, changed={3: ["TM"]})

    assert notes(source, "2", kind="monthly").readers == []
    assert notes(source, "1-3", unit="DR").readers == []  # March changed in TM's rows only
    assert len(notes(source, "1-3", unit="TM").readers) == 1
    assert len(notes(source, "1-3").readers) == 1  # the whole entity: any unit's change

    MonthState.objects.filter(month=3).update(changed_units=["*"])  # REFERENSI changed
    assert len(notes(source, "1-3", unit="DR").readers) == 1

    MonthState.objects.update(transformed_at=LOADED + timedelta(minutes=1))
    assert notes(source, "1-3").readers == []  # the marts were built from the change since


def test_a_replaced_workbook_not_yet_synced_is_noted_in_every_report(entity, source):
    assert notes(source, "1-3").readers == []  # nothing loaded yet: nothing replaced
    loaded(entity, source)
    assert notes(source, "2", kind="monthly").readers == []
    build_workbook(source, months=standard_orders())  # someone saved another version

    for found in (notes(source, "2", kind="monthly"), notes(source, "1-3", unit="DR")):
        replaced = f"The workbook IONS-2026.xlsx was replaced on {local(_mtime(source))}"
        assert found.readers == [f"{replaced} and is not in these figures yet; {ASK}"]
        assert found.operators == [f"{replaced}, after its last extract: {SYNC} to refresh."]


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def test_a_withheld_month_is_one_plain_line_with_its_error_count_and_first_cell():
    report = {"withheld_months": [{"month": 3, "errors": 2, "first_cell": "MAR!I20"},
                                  {"month": 5, "errors": 1, "first_cell": "MEI!1:1"}]}  # fmt: skip
    assert withheld_notices(report) == [
        "March is withheld: its sheet has 2 errors, first at MAR!I20.",
        "May is withheld: its sheet has 1 error, first at MEI!1:1.",
    ]
    assert withheld_notices({"warnings": []}) == []  # a report JSON from before withholding


def shown(json_path: Path) -> tuple[list[str], list[str], list[str]]:
    """The report's notes as its JSON, HTML and XLSX Summary show them."""
    html = json_path.with_suffix(".html").read_text()
    banner = html.split("This report may be out of date.")[1:]
    summary = openpyxl.load_workbook(json_path.with_suffix(".xlsx"))["Summary"]
    xlsx = [value for label, value, *_ in summary.iter_rows(min_row=2, values_only=True)
            if label == "Warning"]  # fmt: skip
    warnings = json.loads(json_path.read_text())["warnings"]
    return warnings, [w for w in warnings if banner and w in banner[0]], xlsx


def test_a_report_built_from_a_replaced_workbook_says_so_everywhere_until_forced_or_synced(
    source, data_dir, tmp_path
):
    synced = tmp_path / "synced.xlsx"
    shutil.copy2(source, synced)
    call_command("sync", "--entity", "IONS", "--year", "2026", stdout=StringIO())
    args = ("report", "--entity", "IONS", "--year", "2026", "--month", "2")
    json_path = data_dir / "reports" / "IONS" / "IONS-2026-02.json"
    build_workbook(source, months=standard_orders())  # a new version nobody synced yet

    err = StringIO()
    call_command(*args, stdout=StringIO(), stderr=err)

    (note,) = json.loads(json_path.read_text())["warnings"]
    assert note.startswith("The workbook IONS-2026.xlsx was replaced on ") and " WIB " in note
    assert shown(json_path) == ([note], [note], [note])
    assert Report.objects.get(stem="IONS-2026-02").warnings == [note]
    assert "Warning: The workbook IONS-2026.xlsx was replaced on" in err.getvalue()
    assert f"{SYNC} to refresh" in err.getvalue()

    call_command(*args, "--force", stdout=StringIO(), stderr=(err := StringIO()))
    assert shown(json_path) == ([], [], []) and "Warning" not in err.getvalue()

    shutil.copy2(synced, source)  # the synced version is back: nothing to say
    call_command(*args, stdout=StringIO(), stderr=(err := StringIO()))
    assert shown(json_path) == ([], [], []) and "Warning" not in err.getvalue()
