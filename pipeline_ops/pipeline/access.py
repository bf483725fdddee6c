"""The one rule of who may see and act on which entity (docs/admin.md, "Who sees what").

Every place that shows or changes an entity's things asks here: admin querysets, the board
and banner, launching and stopping work, uploads and decisions, report files and the pages
behind them, subscriptions and mails. A viewer membership lets a person see an entity; an
operator membership also lets them act on it — what kinds of action stays with the global
groups' Django permissions. Superusers see and act on everything. Another entity's object
answers 404, as if it did not exist (`get_or_404`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404

VIEW, OPERATE = "viewer", "operator"
RANK = {VIEW: 1, OPERATE: 2}
CACHE = "_atlas_access"  # on the user object: one request asks many times


@dataclass(frozen=True)
class Access:
    every: str | None = None  # a role held over every entity
    roles: dict[int, str] = field(default_factory=dict)  # entity id → role

    def may(self, entity_id: int | None, role: str = VIEW) -> bool:
        held = [r for r in (self.every, self.roles.get(entity_id)) if r]
        return any(RANK[r] >= RANK[role] for r in held)

    def ids(self, role: str = VIEW) -> set[int] | None:
        """The entity ids held in `role` or above; None for every entity."""
        if self.every and RANK[self.every] >= RANK[role]:
            return None
        return {pk for pk, r in self.roles.items() if RANK[r] >= RANK[role]}


def access(user) -> Access:
    if user is None or not user.is_authenticated or not user.is_active:
        return Access()
    if user.is_superuser:
        return Access(every=OPERATE)
    cached = getattr(user, CACHE, None)
    if cached is None:
        cached = _held(user)
        setattr(user, CACHE, cached)
    return cached


def _held(user) -> Access:
    from pipeline_ops.models import Membership

    every: str | None = None
    roles: dict[int, str] = {}
    rows = Membership.objects.filter(Q(user=user) | Q(group__user=user)).values_list(
        "entity_id", "role"
    )
    for entity_id, role in rows:
        if entity_id is None:
            every = _higher(every, role)
        else:
            roles[entity_id] = _higher(roles.get(entity_id), role)
    return Access(every, roles)


def _higher(a: str | None, b: str) -> str:
    return b if a is None or RANK[b] > RANK[a] else a


def forget(user) -> None:
    """After a grant or revoke: the next question reads the memberships again."""
    if user is not None and hasattr(user, CACHE):
        delattr(user, CACHE)


def may(user, entity, role: str = VIEW) -> bool:
    """May `user` see (VIEW) or act on (OPERATE) `entity` (an Entity or its id)?"""
    return access(user).may(getattr(entity, "pk", entity), role)


def visible(user, queryset: QuerySet, path: str = "entity", role: str = VIEW) -> QuerySet:
    """`queryset` narrowed to the entities `user` holds in `role`; `path` leads from its
    model to Entity (`entity`, `report__entity`, `build__report__entity`; `pk` for Entity)."""
    ids = access(user).ids(role)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{path}__in" if path != "pk" else "pk__in": ids})


def get_or_404(user, queryset: QuerySet, path: str = "entity", role: str = VIEW, **lookup):
    """The one object of `queryset` matching `lookup` that `user` may see (or act on): any
    other, existing or not, is the same 404."""
    found = visible(user, queryset, path, role).filter(**lookup).first()
    if found is None:
        raise Http404("No such object")
    return found


def get_for(user, queryset: QuerySet, role: str = VIEW, path: str = "entity", **lookup):
    """The object `lookup` names, for `role`: 404 when `user` may not see its entity (as if
    it did not exist); PermissionDenied when they may see it but not act on it."""
    from django.core.exceptions import PermissionDenied

    found = get_or_404(user, queryset, path, VIEW, **lookup)
    entity_id = found.pk if path == "pk" else _entity_id(found, path)
    if role != VIEW and not access(user).may(entity_id, role):
        raise PermissionDenied
    return found


def _entity_id(obj, path: str) -> int | None:
    for step in path.split("__")[:-1]:
        obj = getattr(obj, step)
    return getattr(obj, f"{path.split('__')[-1]}_id")
