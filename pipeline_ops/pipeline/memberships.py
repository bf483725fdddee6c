"""Granting and revoking entity memberships (`manage.py grant` / `revoke`, the admin's
Memberships page and the entity page's inline). The rule they feed is pipeline/access.py."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from pipeline_ops.models import Entity, Membership
from pipeline_ops.pipeline.errors import PipelineError

EVERY = "every entity"


def grant(*, user: str | None = None, group: str | None = None, entity: str | None,
          role: str) -> str:  # fmt: skip
    """Give a person (or a group) `entity` — every entity when None — in `role`; an existing
    membership of the same entity changes role. Returns what was done, in words."""
    who = _who(user, group)
    target = _entity(entity)
    found, created = Membership.objects.get_or_create(**who, entity=target,
                                                      defaults={"role": role})  # fmt: skip
    name = target.code if target else EVERY
    if created:
        return f"{_name(who)} is now {role} of {name}."
    if found.role == role:
        return f"{_name(who)} was already {role} of {name}: nothing changed."
    was = found.role
    Membership.objects.filter(pk=found.pk).update(role=role)
    return f"{_name(who)} is now {role} of {name} (was {was})."


def revoke(*, user: str | None = None, group: str | None = None, entity: str | None) -> str:
    who = _who(user, group)
    target = _entity(entity)
    deleted, _ = Membership.objects.filter(**who, entity=target).delete()
    name = target.code if target else EVERY
    if not deleted:
        return f"{_name(who)} was not a member of {name}: nothing changed."
    return f"{_name(who)} is no longer a member of {name}."


def _who(user: str | None, group: str | None) -> dict:
    if (user is None) == (group is None):
        raise PipelineError("Name either a user or a group.")
    if user is not None:
        found = get_user_model().objects.filter(username=user).first()
        if found is None:
            raise PipelineError(f"No user {user!r}.")
        return {"user": found}
    found = Group.objects.filter(name=group).first()
    if found is None:
        raise PipelineError(f"No group {group!r}.")
    return {"group": found}


def _entity(code: str | None) -> Entity | None:
    if code is None:
        return None
    found = Entity.objects.filter(code=code).first()
    if found is None:
        raise PipelineError(f"No entity {code!r}.")
    return found


def _name(who: dict) -> str:
    return f"user {who['user'].username}" if "user" in who else f"group {who['group'].name}"
