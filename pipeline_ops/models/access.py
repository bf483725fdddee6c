"""Who may see and act on which entity (docs/admin.md, "Who sees what").

A `Membership` gives a person, or a Django group, one entity — or every entity, with a
blank entity — in one role: a viewer sees it, an operator also acts on it. What kinds of
things a role does (launch, upload, accept…) stays with the two global groups' Django
permissions; a membership says on which entities. The rule lives in pipeline/access.py.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q

from pipeline_ops.models.entities import Entity


class Membership(models.Model):
    class Role(models.TextChoices):
        VIEWER = "viewer"
        OPERATOR = "operator"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.CASCADE, related_name="memberships")  # fmt: skip
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="memberships")  # fmt: skip
    entity = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="memberships",
                               help_text="Blank: every entity, present and future.")  # fmt: skip
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("entity__code", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, group__isnull=True)
                | Q(user__isnull=True, group__isnull=False),
                name="membership_of_a_user_or_a_group",
                violation_error_message="A membership is a person's or a group's, not both.",
            ),
            # One membership per person (or group) and entity, and one every-entity one: two
            # conditions, as SQLite has no NULLS NOT DISTINCT.
            models.UniqueConstraint(fields=("user", "entity"), name="one_membership_per_user",
                                    condition=Q(user__isnull=False, entity__isnull=False)),
            models.UniqueConstraint(fields=("user",), name="one_every_entity_per_user",
                                    condition=Q(user__isnull=False, entity__isnull=True)),
            models.UniqueConstraint(fields=("group", "entity"), name="one_membership_per_group",
                                    condition=Q(group__isnull=False, entity__isnull=False)),
            models.UniqueConstraint(fields=("group",), name="one_every_entity_per_group",
                                    condition=Q(group__isnull=False, entity__isnull=True)),
        ]  # fmt: skip

    def __str__(self) -> str:
        who = self.user or self.group
        return f"{who}: {self.role} of {self.entity or 'every entity'}"
