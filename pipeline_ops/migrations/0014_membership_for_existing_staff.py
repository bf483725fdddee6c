"""Upgrading keeps today's access (issue #25): everyone in one of the two global groups
becomes a member of every entity in that group's role, so nobody loses access silently.
docs/operations.md ("Narrowing who sees what") says how to narrow it afterwards."""

from __future__ import annotations

from django.db import migrations

GROUP_ROLES = (("Report viewers", "viewer"), ("Pipeline operators", "operator"))


def every_entity_for_group_members(apps, schema_editor) -> None:
    Group = apps.get_model("auth", "Group")
    Membership = apps.get_model("pipeline_ops", "Membership")
    roles = {}
    for name, role in GROUP_ROLES:  # operator last: it wins for people in both groups
        group = Group.objects.filter(name=name).first()
        for user_id in group.user_set.values_list("id", flat=True) if group else ():
            roles[user_id] = role
    for user_id, role in roles.items():
        Membership.objects.get_or_create(user_id=user_id, entity=None,
                                         defaults={"role": role})  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [
        ("pipeline_ops", "0013_membership"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(every_entity_for_group_members, migrations.RunPython.noop)]
