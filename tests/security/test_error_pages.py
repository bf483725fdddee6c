"""A 500 page (DEBUG on, the worst case) never shows a password from a connection string."""

from __future__ import annotations

import pytest
from django.test import Client

REDIS_URL = "redis://:s3cretpw@127.0.0.1:6379/1"
DATABASE_URL = "postgres://atlas:s3cretpw@db.internal:5432/atlas"

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.security.urls")]


@pytest.fixture
def debug_with_secrets(settings, monkeypatch):
    settings.DEBUG = True
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "redis": REDIS_URL}
    settings.OPS_DB_URL = "libsql://atlas:s3cretpw@ops.internal"
    monkeypatch.setenv("Q_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("DATABASE_URL", DATABASE_URL)


def technical_500(path: str, method: str = "get", data: dict | None = None) -> str:
    client = Client(raise_request_exception=False)
    # runserver copies the process environment into every request's META; so does this.
    environ = {"Q_REDIS_URL": REDIS_URL, "DATABASE_URL": DATABASE_URL}
    response = getattr(client, method)(path, data, **environ)
    assert response.status_code == 500
    body = response.content.decode()
    assert "Traceback" in body and "Request information" in body, "not the technical 500 page"
    return body


def test_a_500_page_never_shows_the_redis_password_from_q_cluster_or_the_environment(
    debug_with_secrets,
):
    body = technical_500("/boom/queue/")
    assert "ConnectionError" in body and "Q_CLUSTER" in body and "Q_REDIS_URL" in body
    assert "s3cretpw" not in body


def test_a_500_page_never_shows_a_database_password_from_a_local_or_the_error_message(
    debug_with_secrets,
):
    body = technical_500("/boom/database/", method="post")
    assert "could not connect" in body and "conninfo" in body
    # The password goes, the rest of the address stays for whoever debugs it.
    assert "db.internal:5432" in body
    assert "s3cretpw" not in body


def test_a_500_page_shows_the_names_of_post_fields_but_never_their_values(debug_with_secrets):
    """Any form, not only those marked @sensitive_post_parameters: a password typed into it
    is on the page as stars."""
    posted = {"password": "hunter2-POSTED", "note": ["é✓ a-POSTED", "b-POSTED"]}
    body = technical_500("/boom/database/", method="post", data=posted)
    assert "POSTED" not in body
    assert "password" in body and "note" in body and "********************" in body


def test_an_error_mail_never_holds_a_posted_value(settings, mailoutbox):
    settings.DEBUG, settings.ADMINS = False, [("Ops", "ops@example.com")]
    response = Client(raise_request_exception=False).post(
        "/boom/database/", {"password": "hunter2-POSTED"}
    )
    assert response.status_code == 500
    (message,) = mailoutbox
    assert "password" in message.body and "hunter2" not in message.body


def test_a_500_page_still_shows_the_settings_that_are_not_secret(debug_with_secrets):
    body = technical_500("/boom/queue/")
    assert "TIME_ZONE" in body and "Asia/Jakarta" in body


def test_a_refused_page_says_so_in_the_admin_frame_with_a_way_back(client, viewer, entity):
    client.force_login(viewer)
    response = client.get("/admin/pipeline_ops/reportdelivery/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "Not allowed" in page and "signed in as <strong>vic</strong>" in page
    assert 'href="/admin/"' in page and "Atlas Ops" in page
