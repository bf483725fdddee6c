"""Password guessing on /admin/login/ is stopped by django-axes, through real admin requests."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/"


@pytest.fixture
def olga(db, settings) -> User:
    # A fast hasher: these tests log in twenty times; throttling does not depend on the hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return User.objects.create_user("olga", "olga@example.com", "right-pw", is_staff=True)


def attempt(client: Client, password: str, address: str = "10.0.0.1"):
    data = {"username": "olga", "password": password, "next": "/admin/"}
    return client.post(LOGIN, data, REMOTE_ADDR=address)


def logged_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def guess(client: Client, times: int, address: str = "10.0.0.1") -> None:
    for _ in range(times):
        attempt(client, "wrong", address)


def test_five_wrong_passwords_then_the_right_one_is_refused_with_a_lockout_page(olga):
    client = Client()
    guess(client, 4)
    assert attempt(client, "wrong").status_code == 429  # the fifth failure locks
    response = attempt(client, "right-pw")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins; try again in 15 minutes." in " ".join(page.split())
    assert 'id="site-name"' in page, "the lockout page is rendered in the admin's style"
    assert not logged_in(client)


def test_four_wrong_passwords_do_not_lock_and_a_success_starts_the_count_again(olga):
    client = Client()
    guess(client, 4)
    assert attempt(client, "right-pw").status_code == 302
    client.logout()
    guess(client, 4)  # 4 + 4 would be past the limit without the reset on success
    assert attempt(client, "right-pw").status_code == 302
    assert logged_in(client)


def test_a_guesser_elsewhere_cannot_lock_the_user_out_of_her_own_address(olga):
    guess(Client(), 5, address="203.0.113.9")
    client = Client()
    assert attempt(client, "right-pw", address="10.0.0.1").status_code == 302
    assert logged_in(client)


def test_axes_reset_lifts_the_lock_at_once(olga):
    client = Client()
    guess(client, 5)
    assert attempt(client, "right-pw").status_code == 429
    call_command("axes_reset")
    assert attempt(client, "right-pw").status_code == 302
    assert logged_in(client)


def test_behind_the_proxy_a_guesser_cannot_lock_out_everyone_who_shares_the_proxy(olga, settings):
    # What config/settings.py sets with BEHIND_HTTPS_PROXY=1 (test_deployment.py checks that).
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_REAL_IP", "REMOTE_ADDR")
    proxy = "10.0.0.254"
    guesser, colleague = Client(HTTP_X_REAL_IP="198.51.100.7"), Client(HTTP_X_REAL_IP="192.0.2.4")
    guess(guesser, 5, address=proxy)
    assert attempt(guesser, "right-pw", address=proxy).status_code == 429
    assert attempt(colleague, "right-pw", address=proxy).status_code == 302
