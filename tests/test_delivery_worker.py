"""Report e-mail outside this test process: a real django-q2 worker sends a queued delivery
with mail settings from its environment, and hostile mail settings stop start-up."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline_ops.models import ReportDelivery
from pipeline_ops.models import ReportSubscription as Subscription
from pipeline_ops.pipeline.reports.delivery import queue_deliveries
from tests.test_delivery import kept_build
from tests.worker import running_worker

ROOT = Path(__file__).resolve().parent.parent

HOSTILE = [
    ("EMAIL_PORT", "abc", "is not a number >= 1 and <= 65535"),
    ("EMAIL_TIMEOUT", "-5", "is not a number >= 1 and <= 600"),
    ("REPORT_MAIL_ATTEMPTS", "0", "is not a number >= 1 and <= 20"),
]


@pytest.mark.parametrize(("name", "value", "says"), HOSTILE)
def test_a_hostile_mail_setting_stops_start_up_with_one_clear_line(tmp_path, name, value, says):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(PIPELINE_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    proc = subprocess.run([sys.executable, str(ROOT / "manage.py"), "check"], cwd=ROOT,
                          env={**env, name: value}, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [f"Atlas Ops settings: {name}={value!r} {says}"]


@pytest.mark.django_db(transaction=True)  # committed rows: the worker is another process
def test_a_real_worker_sends_a_queued_delivery(entity, data_dir, monkeypatch):
    """The task as django-q2's qcluster imports and runs it, with mail settings from its
    environment (the file backend: each message a file)."""
    Subscription.objects.create(entity=entity, email="ana@example.com")
    outbox = data_dir / "outbox"
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    monkeypatch.setenv("EMAIL_FILE_PATH", str(outbox))
    assert queue_deliveries(kept_build(entity, data_dir / "r")) == 1
    delivery = ReportDelivery.objects.get()
    with running_worker(data_dir):
        deadline = time.monotonic() + 120
        while delivery.status != "sent" and time.monotonic() < deadline:
            time.sleep(0.5)
            delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 0)
    (written,) = outbox.iterdir()
    text = written.read_text()
    assert "To: ana@example.com" in text and 'filename="IONS-2026-02.xlsx"' in text
