"""Registering entities (the `seed` stage without demo data)."""

from __future__ import annotations

from ..models import Entity


def register_entity(code: str, name: str = "") -> tuple[Entity, bool]:
    entity, created = Entity.objects.get_or_create(code=code, defaults={"name": name or code})
    return entity, created
