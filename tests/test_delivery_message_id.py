"""One Message-ID per delivery (docs/reports.md, "At least once, one Message-ID"): a mail
server that takes the message but answers after EMAIL_TIMEOUT makes the send fail, and the
retry sends it again; both copies carry the same Message-ID, so the recipient's server
or client can drop the second."""

from __future__ import annotations

import asyncio
import re
from email import message_from_bytes, policy

import pytest
from django.core import mail

from pipeline_ops.models import ReportDelivery
from pipeline_ops.models import ReportSubscription as Subscription
from pipeline_ops.pipeline.reports.delivery import message_id, queue_deliveries
from tests.test_delivery import closed_port, kept_build, run_queued_tasks, run_retry_schedule

pytestmark = pytest.mark.django_db
MESSAGE_ID = re.compile(r"<atlas-delivery-\d+-\d{20}@[A-Za-z0-9.-]+>")


class SlowFirstAnswer:
    """An aiosmtpd handler that keeps every message it receives and answers the first DATA
    only after `delay` seconds: it has the mail, the client has given up waiting."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.envelopes.append(envelope)
        if len(self.envelopes) == 1:
            await asyncio.sleep(self.delay)
        return "250 Message accepted"


def test_a_retry_after_a_slow_server_timed_out_carries_the_same_message_id(
    entity, data_dir, settings
):
    from aiosmtpd.controller import Controller

    Subscription.objects.create(entity=entity, email="ana@example.com")
    server, port = SlowFirstAnswer(delay=3), closed_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 1
    queue_deliveries(kept_build(entity, data_dir / "r"))
    delivery = ReportDelivery.objects.get()
    controller.start()
    try:
        (first,) = run_queued_tasks()
        assert first.startswith("failed for ana@example.com, retry at") and "timed out" in first
        assert run_retry_schedule(delivery) == "sent to ana@example.com"
    finally:
        controller.stop()
    ids = [message_from_bytes(e.content, policy=policy.default)["Message-ID"]
           for e in server.envelopes]  # fmt: skip
    assert ids == [message_id(delivery)] * 2 and MESSAGE_ID.fullmatch(ids[0])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)


def test_each_delivery_has_its_own_message_id_and_keeps_it(entity, data_dir):
    for address in ("ana@example.com", "tom@example.com"):
        Subscription.objects.create(entity=entity, email=address)
    queue_deliveries(kept_build(entity, data_dir / "r"))
    run_queued_tasks()
    sent = {message.to[0]: message.message()["Message-ID"] for message in mail.outbox}
    deliveries = {d.recipient: d for d in ReportDelivery.objects.all()}
    assert sent == {address: message_id(d) for address, d in deliveries.items()}
    assert len(set(sent.values())) == 2
    # Read back from the database (as a retry does), it is the same id.
    again = ReportDelivery.objects.get(recipient="ana@example.com")
    assert message_id(again) == sent["ana@example.com"]
