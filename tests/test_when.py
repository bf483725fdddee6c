"""One way to write a time (issue #23): the admin, a report's header and XLSX, its notes and
the mails all say `2026-12-06 23:54 WIB`, in TIME_ZONE with its name."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.html import strip_tags

from pipeline_ops.admin.display import local_time as admin_time
from pipeline_ops.pipeline.reports.labels import local_time as report_time
from pipeline_ops.pipeline.reports.notes import local as note_time

MOMENT = datetime(2026, 12, 6, 16, 54, tzinfo=UTC)  # 23:54 in Jakarta


def test_the_admin_a_report_and_its_notes_write_one_moment_the_same_way(settings):
    settings.TIME_ZONE = "Asia/Jakarta"

    written = {
        strip_tags(admin_time(MOMENT)),
        report_time(MOMENT.isoformat()),
        report_time("2026-12-06T16:54:00"),  # the format stage's UTC stamp without offset
        note_time(MOMENT),
    }

    assert written == {"2026-12-06 23:54 WIB"}


def test_a_report_stamp_that_cannot_be_read_is_shown_as_it_is(settings):
    assert report_time("yesterday") == "yesterday"
