"""The two staff roles (DESIGN §8 / issue 7): operators launch, viewers look and download."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from .notify import OPERATORS_GROUP, VIEWERS_GROUP

VIEW = [
    "view_entity",
    "view_pipelinerun",
    "view_validationissue",
    "view_report",
    "view_dimensioncache",
]
ROLES = {
    VIEWERS_GROUP: VIEW,
    OPERATORS_GROUP: [*VIEW, "launch_pipelinerun", "view_schedule", "change_schedule"],
}


def setup_roles() -> dict[str, int]:
    counts = {}
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(
            content_type__app_label__in=("pipeline_ops", "django_q"), codename__in=codenames
        )
        group.permissions.set(perms)
        counts[name] = perms.count()
    return counts
