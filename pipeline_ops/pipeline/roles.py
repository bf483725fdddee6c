"""The two staff roles (docs/admin.md): operators launch, upload and accept workbooks;
viewers look and download.

Least privilege: of django-q2's models operators get only view and change of Schedule, and
the Schedule admin (pipeline_ops.admin.schedules) limits that change to pausing and re-timing
the product's own schedules. No role holds add/delete of schedules or any permission on
django-q2's Task, Success, Failure or OrmQ admins (their "resubmit" re-runs stored code).
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from pipeline_ops.pipeline.runs.notify import OPERATORS_GROUP, VIEWERS_GROUP

VIEW = [
    "view_entity",
    "view_pipelinerun",
    "view_validationissue",
    "view_report",
    "view_dimensioncache",
    "view_workbookversion",  # workbook intake (docs/intake.md): history, previews, downloads
    "view_workbookchange",
]
INTAKE = ["add_workbookversion", "accept_workbookversion"]  # upload; accept, reject, restore
SCHEDULES = ["view_schedule", "change_schedule"]  # django_q's Schedule model, nothing else
# Report e-mail (docs/reports.md): viewers see and delete only their own subscriptions (the
# admin filters by user) and add them with "Subscribe me"; operators manage everyone's and
# retry failed deliveries (change_reportdelivery gates "Retry"; deliveries stay read-only).
OWN_SUBSCRIPTIONS = ["view_reportsubscription", "delete_reportsubscription"]
SUBSCRIPTIONS = [
    "add_reportsubscription", "change_reportsubscription", "delete_reportsubscription",
    "view_reportsubscription", "view_reportdelivery", "change_reportdelivery",
]  # fmt: skip
ROLES = {
    VIEWERS_GROUP: {"pipeline_ops": [*VIEW, *OWN_SUBSCRIPTIONS]},
    OPERATORS_GROUP: {
        "pipeline_ops": [*VIEW, "launch_pipelinerun", *INTAKE, *SUBSCRIPTIONS],
        "django_q": SCHEDULES,
    },
}


def role_permissions(grants: dict[str, list[str]]) -> Q:
    """Each codename only within its own app, so a name can never match another app's."""
    query = Q(pk__in=[])
    for app_label, codenames in grants.items():
        query |= Q(content_type__app_label=app_label, codename__in=codenames)
    return query


def setup_roles() -> dict[str, int]:
    counts = {}
    for name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(role_permissions(grants))
        group.permissions.set(perms)
        counts[name] = perms.count()
    return counts
