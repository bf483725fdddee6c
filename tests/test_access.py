"""Who sees and acts on which entity (issue #25, docs/admin.md "Who sees what"): the one
rule (pipeline/access.py), `manage.py grant` / `revoke`, and the upgrade that keeps
today's access for existing staff."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.http import Http404

from pipeline_ops.models import Entity, Membership
from pipeline_ops.pipeline import access
from pipeline_ops.pipeline.runs.notify import OPERATORS_GROUP, VIEWERS_GROUP
from tests.conftest import staff_in
from tests.warehouse_fixtures import manage

pytestmark = pytest.mark.django_db
UPGRADE = import_module("pipeline_ops.migrations.0014_membership_for_existing_staff")


@pytest.fixture
def two(db) -> tuple[Entity, Entity]:
    return Entity.objects.create(code="AAA"), Entity.objects.create(code="BBB")


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # a new request's user: memberships read again


def test_a_member_of_one_entity_sees_only_that_entity(two):
    a, b = two
    ana = staff_in(OPERATORS_GROUP, "ana", entities=None)
    Membership.objects.create(user=ana, entity=a, role="operator")

    assert list(access.visible(ana, Entity.objects.all(), "pk")) == [a]
    assert access.may(ana, a, access.OPERATE) and not access.may(ana, b)
    with pytest.raises(Http404):
        access.get_or_404(ana, Entity.objects.all(), "pk", code="BBB")


def test_a_viewer_of_b_sees_b_but_may_not_act_on_it(two):
    a, b = two
    ana = staff_in(OPERATORS_GROUP, "ana", entities=None)
    Membership.objects.create(user=ana, entity=a, role="operator")
    Membership.objects.create(user=ana, entity=b, role="viewer")

    assert access.may(ana, b) and not access.may(ana, b, access.OPERATE)
    assert access.access(ana).ids(access.OPERATE) == {a.pk}
    assert access.access(ana).ids(access.VIEW) == {a.pk, b.pk}


def test_a_groups_every_entity_membership_reaches_each_of_its_members(two):
    finance = Group.objects.create(name="Finance")
    fin = staff_in(VIEWERS_GROUP, "fin", entities=None)
    fin.groups.add(finance)
    assert access.visible(fin, Entity.objects.all(), "pk").count() == 0

    Membership.objects.create(group=finance, entity=None, role="viewer")

    assert access.visible(fresh(fin), Entity.objects.all(), "pk").count() == 2
    assert not access.may(fresh(fin), two[0], access.OPERATE)


def test_staff_without_a_membership_see_nothing_and_superusers_everything(two):
    nobody = staff_in(VIEWERS_GROUP, "nobody", entities=None)
    root = User.objects.create_superuser("root", "root@example.com", "pw")

    assert access.visible(nobody, Entity.objects.all(), "pk").count() == 0
    assert access.visible(root, Entity.objects.all(), "pk").count() == 2
    assert access.may(root, two[1], access.OPERATE)


def test_a_membership_is_a_persons_or_a_groups_never_both(two):
    ana = staff_in(VIEWERS_GROUP, "ana", entities=None)
    with pytest.raises(Exception, match="membership_of_a_user_or_a_group"):
        Membership.objects.create(user=ana, group=Group.objects.first(), entity=two[0])


def test_grant_gives_an_entity_and_granting_again_changes_the_role(two, capsys):
    staff_in(OPERATORS_GROUP, "ana", entities=None)

    call_command("grant", "--user", "ana", "--entity", "aaa", "--role", "viewer")
    call_command("grant", "--user", "ana", "--entity", "AAA", "--role", "operator")

    out = capsys.readouterr().out
    assert "user ana is now viewer of AAA." in out and "(was viewer)" in out
    assert list(Membership.objects.values_list("entity__code", "role")) == [("AAA", "operator")]


def test_revoke_takes_one_entity_and_leaves_the_others(two):
    ana = staff_in(OPERATORS_GROUP, "ana", entities=None)
    for entity in two:
        Membership.objects.create(user=ana, entity=entity, role="viewer")

    call_command("revoke", "--user", "ana", "--entity", "AAA")

    assert list(Membership.objects.values_list("entity__code", flat=True)) == ["BBB"]


def test_grant_and_revoke_refuse_an_unknown_user_or_entity_with_exit_1(two):
    staff_in(OPERATORS_GROUP, "ana", entities=None)
    for args in (["grant", "--user", "ghost", "--entity", "AAA", "--role", "viewer"],
                 ["grant", "--user", "ana", "--entity", "ZZZ", "--role", "viewer"],
                 ["revoke", "--group", "Nobody", "--all-entities"]):  # fmt: skip
        with pytest.raises(CommandError) as raised:
            call_command(*args)
        assert raised.value.returncode == 1 and "No " in str(raised.value)
    assert not Membership.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("args", [
    ["grant", "--user", "ana", "--entity", "AAA", "--role", "owner"],
    ["grant", "--user", "ana", "--role", "viewer"],
    ["grant", "--user", "ana", "--group", "x", "--entity", "AAA", "--role", "viewer"],
    ["grant", "--user", "a\x1bb", "--entity", "AAA", "--role", "viewer"],
    ["revoke", "--user", "ana", "--entity", "../x"],
])  # fmt: skip
def test_a_bad_flag_exits_2_with_one_line_and_changes_nothing(two, data_dir, args):
    staff_in(OPERATORS_GROUP, "ana", entities=None)

    proc = manage(data_dir, *args, check=False)

    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.strip().splitlines()[-1]
    assert not Membership.objects.exists()


def test_upgrading_makes_existing_group_members_members_of_every_entity(two):
    op = staff_in(OPERATORS_GROUP, "op", entities=None)
    vi = staff_in(VIEWERS_GROUP, "vi", entities=None)
    both = staff_in(VIEWERS_GROUP, "both", entities=None)
    both.groups.add(Group.objects.get(name=OPERATORS_GROUP))
    staff_in(VIEWERS_GROUP, "later", entities=None).groups.clear()

    UPGRADE.every_entity_for_group_members(apps, None)

    held = dict(Membership.objects.filter(entity=None).values_list("user__username", "role"))
    assert held == {"op": "operator", "vi": "viewer", "both": "operator"}
    assert access.may(fresh(op), two[1], access.OPERATE) and access.may(fresh(vi), two[0])
    assert not access.may(fresh(vi), two[0], access.OPERATE)
