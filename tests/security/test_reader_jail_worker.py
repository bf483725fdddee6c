"""A workbook that crashes the reader, uploaded in the admin with a real django-q2 worker:
its version fails in one line, and the same worker previews the next upload."""

from __future__ import annotations

import pytest

from pipeline_ops.models import WorkbookVersion
from tests.corpus import hostile
from tests.corpus.builders import base
from tests.polling import wait_until
from tests.test_intake_admin import upload
from tests.worker import running_worker

pytestmark = pytest.mark.django_db(transaction=True)


def settled(version: WorkbookVersion, status: str) -> bool:
    version.refresh_from_db()
    assert version.status not in ("accepted", "rejected"), version.error
    return version.status == status


def test_an_upload_that_crashes_the_reader_fails_alone_and_the_worker_goes_on(
    client, operator, entity, data_dir, tmp_path
):
    client.force_login(operator)
    bad, good = tmp_path / "understated.xlsx", tmp_path / "IONS-2026.xlsx"
    hostile.understated_dimension(bad)
    base(good)

    with running_worker(data_dir) as worker:
        upload(client, entity, bad)
        crashed = WorkbookVersion.objects.get(original_name=bad.name)
        wait_until(lambda: settled(crashed, "failed"), 120, "the crashing upload to fail")
        upload(client, entity, good)
        fine = WorkbookVersion.objects.get(original_name=good.name)
        wait_until(lambda: settled(fine, "previewed"), 120, "the next upload's preview")
        assert worker.poll() is None

    assert crashed.error == (
        "understated.xlsx: the reader ran out of its 2 GiB memory limit"
        " (WORKBOOK_READER_MEMORY) on sheet FEB"
    )
    log = (data_dir / "qcluster.log").read_text()
    assert "reincarnated" not in log.lower() and "Traceback" not in log, log
