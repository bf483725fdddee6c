"""The freshness board lists every entity: only users who may see pipeline runs get it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.template import RequestContext, Template
from django.test import RequestFactory

from pipeline_ops.models import Entity, Membership
from pipeline_ops.pipeline.roles import setup_roles
from pipeline_ops.pipeline.runs.notify import VIEWERS_GROUP

pytestmark = pytest.mark.django_db

CODE = "ZEBRA42"  # a code no other text on the admin index contains


@pytest.fixture
def secret_entity(db) -> Entity:
    return Entity.objects.create(code=CODE, name="Zebra")


@pytest.fixture
def bare_staff(db) -> User:
    return User.objects.create_user("sam", password="pw", is_staff=True)


def test_a_staff_user_without_pipeline_permission_sees_no_entity_codes(
    client, secret_entity, bare_staff
):
    client.force_login(bare_staff)
    response = client.get("/admin/")
    assert response.status_code == 200
    page = response.content.decode()
    assert CODE not in page and "Freshness" not in page


def test_the_board_tag_itself_shows_nothing_to_a_user_without_permission(secret_entity, bare_staff):
    # Guards every template that might include the tag, not only the admin index.
    request = RequestFactory().get("/admin/")
    request.user = bare_staff
    html = Template("{% load atlas_admin %}{% freshness_board %}").render(RequestContext(request))
    assert CODE not in html


def test_a_report_viewer_sees_the_freshness_board(client, secret_entity):
    setup_roles()
    viewer = User.objects.create_user("vic", password="pw", is_staff=True)
    viewer.groups.add(Group.objects.get(name=VIEWERS_GROUP))
    Membership.objects.create(user=viewer, entity=secret_entity, role="viewer")  # issue #25
    client.force_login(viewer)
    page = client.get("/admin/").content.decode()
    assert "Freshness" in page and CODE in page
