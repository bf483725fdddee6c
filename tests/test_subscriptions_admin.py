"""Subscriptions and deliveries in the admin (docs/reports.md, "Subscriptions and delivery"):
operators manage everyone's, report viewers only their own, a staff user without a role none.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from pipeline_ops.models import Entity, Report, ReportBuild, ReportDelivery
from pipeline_ops.models import ReportSubscription as Subscription

pytestmark = pytest.mark.django_db

SUBSCRIBE = reverse("admin:pipeline_ops_reportsubscription_subscribe")
SUBSCRIPTIONS = reverse("admin:pipeline_ops_reportsubscription_changelist")
DELIVERIES = reverse("admin:pipeline_ops_reportdelivery_changelist")


@pytest.fixture
def others(entity, operator) -> list[Subscription]:
    """Someone else's subscriptions: an operator's and an address without a login."""
    return [
        Subscription.objects.create(entity=entity, user=operator, report_type="quarterly"),
        Subscription.objects.create(entity=entity, email="boss@example.com"),
    ]


def test_a_viewer_subscribes_themselves_to_their_own_address(client, entity, viewer):
    client.force_login(viewer)
    page = client.get(SUBSCRIBE).content.decode()
    assert "vic@example.com" in page and 'name="email"' not in page
    assert f'<option value="{entity.pk}" selected>' in page  # the only entity, chosen
    response = client.post(SUBSCRIBE, {"entity": entity.pk, "report_type": "monthly",
                                       "unit": "TM"})  # fmt: skip
    assert response.status_code == 302
    (made,) = Subscription.objects.all()
    assert (made.user, made.email, made.unit, made.active) == (viewer, "", "TM", True)
    assert made.recipient == "vic@example.com"
    client.post(SUBSCRIBE, {"entity": entity.pk, "report_type": "monthly", "unit": "TM"})
    assert Subscription.objects.count() == 1  # asking twice keeps one


def test_a_viewer_without_an_email_address_is_told_so_and_not_subscribed(client, entity, viewer):
    User.objects.filter(pk=viewer.pk).update(email="")
    client.force_login(viewer)
    assert 'id="no-email"' in client.get(SUBSCRIBE).content.decode()
    page = client.post(SUBSCRIBE, {"entity": entity.pk, "report_type": "monthly", "unit": ""})
    assert "Your user has no e-mail address" in page.content.decode()
    assert not Subscription.objects.exists()


def test_a_viewer_sees_and_deletes_only_their_own_subscriptions(client, entity, viewer, others):
    mine = Subscription.objects.create(entity=entity, user=viewer)
    client.force_login(viewer)
    listed = client.get(SUBSCRIPTIONS).context["cl"].result_list
    assert list(listed) == [mine]
    page = client.get(SUBSCRIPTIONS).content.decode()
    assert "Subscribe me" in page and "boss@example.com" not in page
    for other in others:
        url = reverse("admin:pipeline_ops_reportsubscription_delete", args=[other.pk])
        client.post(url, {"post": "yes"})
    assert Subscription.objects.count() == 3  # nothing of theirs went
    assert client.get(reverse("admin:pipeline_ops_reportsubscription_add")).status_code == 403
    url = reverse("admin:pipeline_ops_reportsubscription_delete", args=[mine.pk])
    client.post(url, {"post": "yes"})
    assert not Subscription.objects.filter(pk=mine.pk).exists()


def test_a_viewers_own_subscription_page_has_no_address_fields(client, entity, viewer):
    mine = Subscription.objects.create(entity=entity, user=viewer)
    client.force_login(viewer)
    page = client.get(reverse("admin:pipeline_ops_reportsubscription_change", args=[mine.pk]))
    fields = {f for fieldset in page.context["adminform"] for line in fieldset for f in line}
    names = {f.field["name"] if isinstance(f.field, dict) else f.field.name for f in fields}
    assert names == {"entity", "report_type", "unit", "active"}


def entity_form(entity, **inline) -> dict:
    data = {"code": entity.code, "name": entity.name, "active": "on"}
    prefix = "subscriptions"
    data.update({f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-INITIAL_FORMS": "0",
                 f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})  # fmt: skip
    data.update({f"{prefix}-0-{key}": value for key, value in inline.items()})
    return data


def test_an_operator_adds_a_subscription_inline_on_the_entity(client, entity, operator, others):
    client.force_login(operator)
    url = reverse("admin:pipeline_ops_entity_change", args=[entity.pk])
    assert "boss@example.com" in client.get(url).content.decode()
    data = entity_form(entity, email="cfo@example.com", report_type="quarterly", unit="DR",
                       active="on")  # fmt: skip
    assert client.post(url, data).status_code == 302
    made = Subscription.objects.get(email="cfo@example.com")
    assert (made.entity, made.report_type, made.unit) == (entity, "quarterly", "DR")
    assert made.user is None and Entity.objects.get().name == entity.name


def test_a_subscription_needs_a_user_or_an_address(client, entity, operator):
    client.force_login(operator)
    url = reverse("admin:pipeline_ops_entity_change", args=[entity.pk])
    page = client.post(url, entity_form(entity, report_type="monthly", unit="TM", active="on"))
    assert "A subscription needs a user or an e-mail address." in page.content.decode()
    assert not Subscription.objects.exists()


def test_a_viewer_does_not_see_the_entitys_subscribers(client, entity, viewer, others):
    client.force_login(viewer)
    page = client.get(reverse("admin:pipeline_ops_entity_change", args=[entity.pk]))
    assert "boss@example.com" not in page.content.decode()


def test_a_staff_user_without_a_role_sees_no_subscription_or_delivery(client, entity, others):
    staff = User.objects.create_user("sam", "sam@example.com", "pw", is_staff=True)
    client.force_login(staff)
    for url in (SUBSCRIBE, SUBSCRIPTIONS, DELIVERIES):
        assert client.get(url).status_code == 403, url
    client.post(SUBSCRIBE, {"entity": entity.pk, "report_type": "monthly", "unit": ""})
    assert Subscription.objects.count() == 2


@pytest.fixture
def failed(entity, data_dir) -> ReportDelivery:
    report = Report.objects.create(entity=entity, year=2026, month_start=2, month_end=2,
                                   type="monthly", label="2026-02", stem="IONS-2026-02",
                                   json_path=str(data_dir / "r.json"))  # fmt: skip
    build = ReportBuild.objects.create(report=report, generated_at=timezone.now(),
                                       json_path=report.json_path)  # fmt: skip
    ReportDelivery.objects.create(build=build, recipient="ok@example.com", status="sent")
    return ReportDelivery.objects.create(
        build=build, recipient="ana@example.com", status="failed", attempts=3,
        error="Attempt 3: SMTPRecipientsRefused: 550 no such user",
    )  # fmt: skip


def test_deliveries_show_the_outcome_first_with_failures_in_red(client, operator, failed):
    client.force_login(operator)
    page = client.get(DELIVERIES).content.decode()
    assert '<span class="mail-status mail-failed">failed</span>' in page
    assert "550 no such user" in page and ".mail-failed{" in page
    listed = client.get(DELIVERIES, {"status__exact": "failed"}).context["cl"].result_list
    assert list(listed) == [failed]


def test_an_operator_retries_failed_deliveries_and_is_told_how_many(client, operator, failed):
    client.force_login(operator)
    every = ReportDelivery.objects.values_list("pk", flat=True)
    response = client.post(DELIVERIES, {"action": "retry", "_selected_action": list(every)},
                           follow=True)  # fmt: skip
    assert "1 failed delivery(ies) queued again." in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.error) == ("pending", 0, "")
    assert ReportDelivery.objects.get(recipient="ok@example.com").status == "sent"


def test_a_viewer_can_neither_see_nor_retry_deliveries(client, viewer, failed):
    client.force_login(viewer)
    assert client.get(DELIVERIES).status_code == 403
    client.post(DELIVERIES, {"action": "retry", "_selected_action": [failed.pk]})
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_the_report_list_links_to_subscribe_me(client, viewer):
    client.force_login(viewer)
    page = client.get(reverse("admin:pipeline_ops_report_changelist")).content.decode()
    assert f'href="{SUBSCRIBE}"' in page
