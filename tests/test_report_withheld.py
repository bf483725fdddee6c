"""Reports withhold a blocked month instead of refusing (issue #22; docs/pipeline.md,
"Month-scoped errors"): a quarterly or yearly report over a month whose sheet has
validation errors is built without it, says so first (JSON `withheld_months`, HTML, XLSX,
mail), and totals only the other months. A monthly report of the blocked month, and any
report over it with `--strict`, is refused.

Every test syncs a real workbook (March with two blank students) and builds real reports.
Expected figures are worked out here from the orders written into the workbook, with the
rules of docs/reports.md: revenue = price − discount of the non-BATAL orders, `orders`
counts every order.
"""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from pipeline_ops.models import Report, ReportState
from pipeline_ops.models import ReportSubscription as Subscription
from pipeline_ops.pipeline.reports.delivery import report_words
from tests.test_delivery import Inbox, closed_port
from tests.workbooks import MONTH_SHEETS, build_workbook, standard_orders

pytestmark = pytest.mark.django_db

BLANKED = (2, 6)  # orders of a blocked month written without a student: two errors
FIRST_CELL = "MAR!D4"  # order 2: Nama Siswa is column D, the header is row 1
NOTICE = "March is withheld: its sheet has 2 errors, first at MAR!D4."
TARGETS = {"TM": 10_000_000, "DR": 3_000_000}  # default_targets(): per unit, every month


# ---- the workbook, the syncs, the reports ---------------------------------------------


def write_workbook(data_dir: Path, *, blocked: tuple[int, ...] = (3,)) -> dict[int, list[dict]]:
    """Write IONS 2026 (Jan–Mar × 10 orders, two blank students in each `blocked` month) and
    sync it: the sync fails (exit 1) naming the blocked months and still transforms the
    others. Returns the orders written, by month."""
    months = standard_orders()
    for m in blocked:
        months[m] = [{**o, "student": None} if i in BLANKED else o for i, o in enumerate(months[m])]
    build_workbook(data_dir / "sources" / "IONS" / "IONS-2026.xlsx", months=months)
    if not blocked:
        call_command("sync", "--entity", "IONS", "--year", "2026", stdout=StringIO())
        return months
    with pytest.raises(CommandError) as failure:
        call_command("sync", "--entity", "IONS", "--year", "2026", stdout=StringIO())
    assert failure.value.returncode == 1
    for m in blocked:
        assert f"first: {MONTH_SHEETS[m - 1]}!D4 blank_student" in str(failure.value)
    return months


@pytest.fixture
def months(entity, data_dir: Path) -> dict[int, list[dict]]:
    """IONS 2026 synced with March blocked: the orders written, by month."""
    return write_workbook(data_dir)


def report(*flags: str) -> dict:
    call_command("report", "--entity", "IONS", "--year", "2026", *flags,
                 stdout=StringIO(), stderr=StringIO())  # fmt: skip
    built = Report.objects.order_by("-run_id").first()  # the one this command built
    return json.loads(Path(built.json_path).read_text())


def refused(*flags: str) -> CommandError:
    with pytest.raises(CommandError) as failure:
        report(*flags)
    return failure.value


def report_files(data_dir: Path) -> list[str]:
    return sorted(p.name for p in (data_dir / "reports").rglob("*") if p.is_file())


# ---- the expected figures, from the orders themselves ---------------------------------


def revenue(orders: list[dict]) -> int:
    return sum(o["price"] - o["discount"] for o in orders if o["status"] != "BATAL")


def collected(orders: list[dict]) -> int:
    return sum(o["paid"] for o in orders if o["status"] != "BATAL")


def by_month(months: dict[int, list[dict]], which: list[int]) -> list[dict]:
    return [
        {
            "month": m,
            "actual": revenue(months[m]),
            "target": sum(TARGETS.values()),
            "collected": collected(months[m]),
            "outstanding": revenue(months[m]) - collected(months[m]),
        }
        for m in which
    ]


def assert_january_and_february_only(got: dict, months: dict[int, list[dict]]) -> None:
    orders = months[1] + months[2]
    assert got["months"] == [1, 2]
    assert got["withheld_months"] == [{"month": 3, "errors": 2, "first_cell": FIRST_CELL}]
    assert revenue(orders) == 27_000_000  # 13.5 million a month: the arithmetic, once by hand
    assert got["revenue"]["actual"] == revenue(orders)
    assert got["revenue"]["target"] == 2 * sum(TARGETS.values())  # March's target left out
    assert got["revenue"]["collected"] == collected(orders)
    assert got["revenue"]["by_month"] == by_month(months, [1, 2])
    assert got["revenue"]["previous"] is None  # no like-for-like period without March
    units = {u["unit"]: u["actual"] for u in got["revenue"]["by_unit"]}
    assert units == {u: revenue([o for o in orders if o["unit"] == u]) for u in TARGETS}
    cancelled = sum(o["status"] == "BATAL" for o in orders)
    assert got["orders"] == {"total": len(orders), "cancelled": cancelled} == {
        "total": 20, "cancelled": 4
    }  # fmt: skip
    enrolled = sum(p["enrollments"] for p in got["programs"])
    assert enrolled == len(orders) - cancelled


# ---- the tests ------------------------------------------------------------------------


def test_a_yearly_report_withholds_a_blocked_march_and_totals_the_rest(months):
    got = report("--type", "yearly")

    assert_january_and_february_only(got, months)
    assert got["warnings"] == []  # withheld is not "no data loaded"
    state = ReportState.objects.get(stem="IONS-2026")
    assert state.withheld == got["withheld_months"] and state.built_at is not None


def test_the_yearly_html_and_workbook_open_with_the_march_notice(months):
    report("--type", "yearly")
    built = Report.objects.get(stem="IONS-2026")

    html = Path(built.html_path).read_text()
    assert NOTICE in html
    assert html.index('id="withheld"') < html.index('id="headline"')

    book = openpyxl.load_workbook(built.xlsx_path)
    summary = list(book["Summary"].iter_rows(values_only=True))
    assert summary[:2] == [("Measure", "Value"), ("Withheld", NOTICE)]
    values = dict(summary[2:])
    assert values["Months"] == "1, 2"
    assert values["Revenue (actual)"] == revenue(months[1] + months[2])
    by_month_sheet = list(book["By month"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in by_month_sheet] == [1, 2]


def test_a_mailed_yearly_report_says_march_is_withheld_in_its_text_and_html_parts(
    entity, months, settings
):
    from aiosmtpd.controller import Controller

    Subscription.objects.create(entity=entity, email="ana@example.com", report_type="yearly")
    inbox, port = Inbox(), closed_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 10
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        report("--type", "yearly", "--email")
    finally:
        controller.stop()

    (envelope,) = inbox.envelopes
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert message["Subject"] == "IONS report — 2026"
    text = message.get_body(("plain",)).get_content()
    assert text.splitlines()[:3] == ["IONS report — 2026", "", NOTICE]
    html = message.get_body(("html",)).get_content()
    assert NOTICE in html and html.index(NOTICE) < html.index('id="headline"')
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "IONS-2026.xlsx"


def test_a_first_quarter_report_withholds_march_the_same_way(months):
    got = report("--type", "quarterly", "--month", "1-3")

    assert (got["type"], got["label"]) == ("quarterly", "Q1")
    assert_january_and_february_only(got, months)
    assert got["warnings"] == []  # March is withheld, not "no data loaded: counts as zero"
    built = Report.objects.get(stem="IONS-2026-Q1")
    assert NOTICE in Path(built.html_path).read_text()
    assert (built.month_start, built.month_end) == (1, 3)  # still the Q1 report
    assert report_words(built) == "IONS report — Q1 2026"  # the subject of its mail

    ranged = report("--type", "quarterly", "--month", "2-3")  # a range: the same rule
    assert (ranged["type"], ranged["months"]) == ("range", [2])
    assert ranged["withheld_months"] == got["withheld_months"]
    assert ranged["revenue"]["actual"] == revenue(months[2])


def test_strict_refuses_a_report_over_blocked_march_in_one_line_and_writes_nothing(
    months, data_dir
):
    for flags in (("--type", "yearly"), ("--type", "quarterly", "--month", "1-3")):
        failure = refused(*flags, "--strict")

        assert failure.returncode == 1
        assert "\n" not in str(failure)
        assert "Mar (2 error(s)" in str(failure) and FIRST_CELL in str(failure)
    assert report_files(data_dir) == [] and not Report.objects.exists()


def test_a_monthly_report_of_blocked_march_is_refused_and_one_of_february_is_built(
    months, data_dir
):
    failure = refused("--month", "3")
    assert failure.returncode == 1 and "\n" not in str(failure)
    assert "Refusing to report IONS-2026-03" in str(failure) and FIRST_CELL in str(failure)
    assert report_files(data_dir) == []

    got = report("--month", "2", "--strict")  # nothing blocked in February: strict builds
    assert (got["months"], got["withheld_months"]) == ([2], [])
    assert got["revenue"]["actual"] == revenue(months[2])
    assert got["orders"]["total"] == len(months[2])
    html = Path(Report.objects.get().html_path).read_text()
    assert 'id="withheld"' not in html and "is withheld" not in html


def test_after_march_is_fixed_a_new_yearly_report_withholds_nothing(months, data_dir):
    report("--type", "yearly")
    report("--type", "quarterly", "--month", "1-3")

    fixed = write_workbook(data_dir, blocked=())
    # The reports built without March are now behind its data.
    for stem in ("IONS-2026", "IONS-2026-Q1"):
        assert ReportState.objects.get(stem=stem).stale_months == [3], stem

    got = report("--type", "yearly")
    everything = fixed[1] + fixed[2] + fixed[3]
    assert (got["months"], got["withheld_months"]) == ([1, 2, 3], [])
    assert got["revenue"]["actual"] == revenue(everything)
    assert got["revenue"]["by_month"] == by_month(fixed, [1, 2, 3])
    assert got["orders"]["total"] == len(everything) == 30
    built = Report.objects.get(stem="IONS-2026")
    assert 'id="withheld"' not in Path(built.html_path).read_text()
    summary = list(openpyxl.load_workbook(built.xlsx_path)["Summary"].iter_rows(values_only=True))
    assert summary[1] == ("Entity", "IONS") and "Withheld" not in [row[0] for row in summary]
    assert ReportState.objects.get(stem="IONS-2026").withheld == []


def test_a_report_left_without_any_month_is_refused_naming_the_blocked_ones(entity, data_dir):
    write_workbook(data_dir, blocked=(2, 3))  # January clean, February and March blocked

    yearly = report("--type", "yearly")
    assert yearly["months"] == [1] and [w["month"] for w in yearly["withheld_months"]] == [2, 3]
    html = Path(Report.objects.get(stem="IONS-2026").html_path).read_text()
    february = "February is withheld: its sheet has 2 errors, first at FEB!D4."
    assert html.index(february) < html.index(NOTICE) < html.index('id="headline"')

    failure = refused("--type", "quarterly", "--month", "2-3")  # nothing of it is left
    assert failure.returncode == 1 and "\n" not in str(failure)
    assert "Refusing to report IONS-2026-M02-M03" in str(failure)
    assert "first: FEB!D4" in str(failure) and f"first: {FIRST_CELL}" in str(failure)

    write_workbook(data_dir, blocked=(1, 2, 3))  # now every loaded month is blocked
    failure = refused("--type", "yearly")  # refused for the blocks, not "no data: sync"
    assert failure.returncode == 1 and "\n" not in str(failure)
    assert "Refusing to report IONS-2026: validation blocks IONS 2026 Jan" in str(failure)
    assert not (data_dir / "reports" / "IONS" / "IONS-2026-M02-M03.json").exists()
