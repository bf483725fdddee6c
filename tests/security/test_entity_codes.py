"""Entity codes name folders under the data dir: `../../x` is refused by every way in."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.urls import reverse

from pipeline_ops.models import Entity, Membership
from pipeline_ops.pipeline.cli import parse_entity
from pipeline_ops.pipeline.entities import ENTITY_CODE_RE
from tests.worker import ROOT, worker_env

pytestmark = pytest.mark.django_db

HOSTILE = ["../../x", "..", "IONS/../../x", "IONS\n", "A", "ions", "X" * 17, "A B", "IO\x00NS"]


def files_under(root: Path) -> set[Path]:
    return {path for path in root.rglob("*")}


def add_entity(client, **fields):
    data = {"code": "", "name": "x", "source_dir": "", "active": "on", "_save": "Save"}
    return client.post(reverse("admin:pipeline_ops_entity_add"), {**data, **fields})


def test_an_admin_cannot_create_an_entity_whose_code_climbs_out_of_the_data_dir(client, admin_user):
    client.force_login(admin_user)
    response = add_entity(client, code="../../x")
    assert response.status_code == 200
    assert "is not an entity code" in response.content.decode()
    assert not Entity.objects.exists()


@pytest.mark.parametrize("code", HOSTILE)
def test_a_shell_cannot_create_an_entity_whose_code_is_a_path(code):
    with pytest.raises(ValidationError, match="is not an entity code"):
        Entity.objects.create(code=code)
    assert not Entity.objects.exists()


@pytest.mark.parametrize("code", HOSTILE)
def test_the_database_refuses_a_path_as_code_even_when_save_is_bypassed(entity, code):
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        Entity.objects.bulk_create([Entity(code=code)])
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        Entity.objects.filter(pk=entity.pk).update(code=code)
    assert list(Entity.objects.values_list("code", flat=True)) == ["IONS"]


@pytest.mark.parametrize("code", [*HOSTILE, "IONS", "AB", "X1_2", "A" * 16])
def test_the_command_line_and_the_model_apply_the_same_rule(code):
    try:
        parse_entity(code)
        cli_accepts = code == code.strip().upper()  # the CLI upper-cases and strips first
    except argparse.ArgumentTypeError:
        cli_accepts = False
    assert cli_accepts == bool(ENTITY_CODE_RE.match(code))


def test_seed_with_a_path_as_entity_code_exits_2_and_writes_nothing(data_dir, tmp_path):
    before = files_under(tmp_path)
    proc = subprocess.run(
        [sys.executable, "manage.py", "seed", "--entity", "../../x", "--demo"],
        cwd=ROOT, env=worker_env(data_dir), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "is not an entity code" in proc.stderr
    assert files_under(tmp_path) == before


def test_an_entity_manager_who_is_not_superuser_cannot_repoint_its_source_folder(client, entity):
    user = User.objects.create_user("ed", password="pw", is_staff=True)
    for codename in ("view_entity", "change_entity"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    Membership.objects.create(user=user, entity=entity, role="operator")  # issue #25
    client.force_login(user)
    url = reverse("admin:pipeline_ops_entity_change", args=[entity.pk])
    data = {"code": "IONS", "name": "renamed", "source_dir": "/etc", "active": "on"}
    assert client.post(url, data).status_code == 302
    entity.refresh_from_db()
    assert (entity.name, entity.source_dir) == ("renamed", "")


def test_a_superuser_cannot_set_a_relative_source_folder(client, admin_user):
    client.force_login(admin_user)
    response = add_entity(client, code="ACME", source_dir="../../etc")
    assert "is not an absolute path" in response.content.decode()
    assert not Entity.objects.exists()
    assert add_entity(client, code="ACME", source_dir="/srv/acme").status_code == 302


def test_the_source_folder_help_shows_its_placeholders_instead_of_eating_them(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("admin:pipeline_ops_entity_add")).content.decode()
    assert "PIPELINE_DATA_DIR/sources/CODE/" in page
