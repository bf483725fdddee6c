"""Where an operator only views an entity (issue #25): its subscribers' addresses, its
run controls and its preview's decisions stay out of reach, and a report mail queued
before a membership was revoked is not sent."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from pipeline_ops.models import Membership, PipelineRun, ReportDelivery, ReportSubscription
from pipeline_ops.pipeline.reports.delivery import send_delivery
from pipeline_ops.pipeline.runs.notify import OPERATORS_GROUP
from tests.conftest import staff_in
from tests.test_delivery import kept_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def onlooker(entity):
    """In the operators group, but only a viewer of IONS."""
    user = staff_in(OPERATORS_GROUP, "otto", entities=None)
    Membership.objects.create(user=user, entity=entity, role="viewer")
    return user


def test_an_operator_who_only_views_an_entity_cannot_manage_its_subscriptions(
    client, entity, onlooker
):
    ReportSubscription.objects.create(entity=entity, email="boss@example.com")
    client.force_login(onlooker)

    listed = client.get(reverse("admin:pipeline_ops_reportsubscription_changelist"))
    added = client.get(reverse("admin:pipeline_ops_reportsubscription_add"))
    page = client.get(reverse("admin:pipeline_ops_entity_change", args=[entity.pk]))

    assert "boss@example.com" not in listed.content.decode()
    assert ">IONS</option>" not in added.content.decode()  # no entity to pick
    assert "boss@example.com" not in page.content.decode()


def test_the_run_page_offers_no_controls_on_an_entity_one_only_views(client, entity, onlooker):
    run = PipelineRun.objects.create(entity=entity, year=2026, stage="sync", status="failed")
    client.force_login(onlooker)

    html = client.get(reverse("admin:pipeline_ops_pipelinerun_change", args=[run.pk]))

    assert html.status_code == 200 and "run-control-rerun" not in html.content.decode()


def test_a_mail_queued_before_a_revoke_is_not_sent(entity, onlooker, data_dir):
    build = kept_build(entity, data_dir / "reports" / "IONS")
    onlooker.email = "otto@example.com"
    onlooker.save()
    subscription = ReportSubscription.objects.create(entity=entity, user=onlooker)
    delivery = ReportDelivery.objects.create(build=build, subscription=subscription,
                                             recipient=onlooker.email)  # fmt: skip
    Membership.objects.filter(user=onlooker).delete()

    assert send_delivery(delivery.pk).startswith("not sent")

    assert mail.outbox == []
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "no longer" in delivery.error
