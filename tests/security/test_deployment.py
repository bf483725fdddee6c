"""The settings a deployment gets from its environment, checked in real `manage.py` processes
(and, for the password validators, in the admin's own password form).

The production values are read from docs/operations.md ("Production checklist"), so the
documentation and `check --deploy` cannot drift apart.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
SECURITY_VARS = {
    "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "BEHIND_HTTPS_PROXY",
    "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_HTTPONLY",
    "X_FRAME_OPTIONS", "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY",
    "PASSWORD_VALIDATION",
}  # fmt: skip


def documented_production_env() -> dict[str, str]:
    doc = (ROOT / "docs/operations.md").read_text()
    section = doc.split("## Production checklist", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    env = dict(re.findall(r"^([A-Z_]+)=(.*)$", block, flags=re.M))
    assert env["SECRET_KEY"].startswith("<"), "the doc must not hold a real key"
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    return env


def manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`manage.py` with none of the security variables this test process may carry."""
    base = {
        k: v for k, v in os.environ.items() if k not in SECURITY_VARS and not k.startswith("PYTEST")
    }
    base.update(PIPELINE_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def settings_of(tmp_path: Path, **env: str) -> dict:
    names = "DEBUG SECURE_PROXY_SSL_HEADER SESSION_COOKIE_SECURE CSRF_COOKIE_SECURE "
    names += "SECURE_SSL_REDIRECT CSRF_TRUSTED_ORIGINS AXES_IPWARE_META_PRECEDENCE_ORDER "
    names += "AUTH_PASSWORD_VALIDATORS"
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {names.split()!r}}}))"
    )
    proc = manage(tmp_path, "shell", "--no-imports", "-c", code, **env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_documented_production_environment_passes_check_deploy_with_no_warning(tmp_path):
    proc = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING",
                  **documented_production_env())  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no issues" in proc.stdout


def test_a_server_started_with_no_environment_fails_check_deploy(tmp_path):
    proc = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert proc.returncode != 0
    report = proc.stdout + proc.stderr
    for warning in ("security.W009", "security.W012", "security.W016", "security.W004"):
        assert warning in report, warning


def test_a_forgotten_debug_variable_leaves_debug_off(tmp_path):
    code = "from django.conf import settings; print(settings.DEBUG)"
    proc = manage(tmp_path, "shell", "--no-imports", "-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


@pytest.mark.parametrize("value", ["1", "true"])
def test_debug_is_on_only_when_asked_for(tmp_path, value):
    assert settings_of(tmp_path, DEBUG=value)["DEBUG"] is True


def test_a_client_cannot_claim_https_or_an_address_without_a_proxy_in_front(tmp_path):
    direct = settings_of(tmp_path)
    assert direct["SECURE_PROXY_SSL_HEADER"] is None
    assert direct["AXES_IPWARE_META_PRECEDENCE_ORDER"] == ["REMOTE_ADDR"]
    proxied = settings_of(tmp_path, **documented_production_env())
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert proxied["AXES_IPWARE_META_PRECEDENCE_ORDER"] == ["HTTP_X_REAL_IP", "REMOTE_ADDR"]
    assert proxied["SESSION_COOKIE_SECURE"] and proxied["CSRF_COOKIE_SECURE"]
    assert proxied["SECURE_SSL_REDIRECT"]
    assert proxied["CSRF_TRUSTED_ORIGINS"] == ["https://atlas.example.com"]


def test_password_validation_is_on_unless_turned_off(tmp_path):
    on = settings_of(tmp_path)["AUTH_PASSWORD_VALIDATORS"]
    assert [v["NAME"].rsplit(".", 1)[1] for v in on] == [
        "UserAttributeSimilarityValidator", "MinimumLengthValidator",
        "CommonPasswordValidator", "NumericPasswordValidator",
    ]  # fmt: skip
    assert settings_of(tmp_path, PASSWORD_VALIDATION="off")["AUTH_PASSWORD_VALIDATORS"] == []


def test_the_admin_refuses_a_weak_password_and_takes_a_strong_one(admin_client, django_user_model):
    ana = django_user_model.objects.create_user("ana", password="an old long passphrase")
    url = reverse("admin:auth_user_password_change", args=[ana.pk])
    form = {"usable_password": "true", "password1": "pw", "password2": "pw"}

    weak = admin_client.post(url, form)
    assert weak.status_code == 200
    assert "This password is too short." in weak.content.decode()
    ana.refresh_from_db()
    assert ana.check_password("an old long passphrase")

    strong = "kettle-orbit-lantern-42"
    taken = admin_client.post(url, {**form, "password1": strong, "password2": strong})
    assert taken.status_code == 302
    ana.refresh_from_db()
    assert ana.check_password(strong)


def test_make_run_turns_debug_on_for_the_demo_unless_the_caller_chose(tmp_path):
    script = (ROOT / "scripts/serve.sh").read_text()
    # Run only the script's DEBUG line, in a shell like the one `make run` starts.
    line = next(x for x in script.splitlines() if x.startswith("export DEBUG="))
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    demo = subprocess.run(["bash", "-c", f"{line}; echo $DEBUG"], env=env,
                          capture_output=True, text=True)  # fmt: skip
    chosen = subprocess.run(["bash", "-c", f"{line}; echo $DEBUG"], env={**env, "DEBUG": "0"},
                            capture_output=True, text=True)  # fmt: skip
    assert (demo.stdout.strip(), chosen.stdout.strip()) == ("1", "0")
