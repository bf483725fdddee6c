"""Mail links start with SITE_URL, from every process; start-up warns when mail reaches
people and SITE_URL was never set (issue #23: the CLI mailed links to 127.0.0.1)."""

from __future__ import annotations

import subprocess

from django.core.checks import run_checks

from tests.warehouse_fixtures import manage_command

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def warned(settings) -> list[str]:
    return [m.id for m in run_checks() if m.id == "atlas.W001"]


def test_it_warns_when_mail_is_delivered_and_site_url_was_never_set(settings):
    settings.EMAIL_BACKEND, settings.SITE_URL_IS_DEFAULT = SMTP, True
    assert warned(settings) == ["atlas.W001"]


def test_it_is_quiet_with_site_url_set_or_mail_that_goes_nowhere(settings):
    settings.EMAIL_BACKEND, settings.SITE_URL_IS_DEFAULT = SMTP, False
    assert warned(settings) == []
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.SITE_URL_IS_DEFAULT = True
    assert warned(settings) == []


def test_a_command_says_so_on_stderr_at_start_up(tmp_path):
    command = manage_command(tmp_path, "check", private_db=True)
    command["env"].update(EMAIL_BACKEND=SMTP)
    command["env"].pop("SITE_URL", None)
    proc = subprocess.run(**command, capture_output=True, check=False)
    assert proc.returncode == 0
    assert "atlas.W001" in proc.stderr and "SITE_URL is not set" in proc.stderr

    command["env"].update(SITE_URL="https://ops.example.org")
    proc = subprocess.run(**command, capture_output=True, check=False)
    assert "atlas.W001" not in proc.stderr + proc.stdout
