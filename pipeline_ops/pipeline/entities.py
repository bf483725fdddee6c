"""Registering entities (the `seed` stage without demo data), and the entity code rule.

The code names folders and files under PIPELINE_DATA_DIR (sources/<code>/, extracts/<code>/,
reports/<code>/), so it must never carry a path separator or `..`: the one rule below is
checked by the model (admin, shell), the database (a CHECK constraint) and the CLI flags.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from pipeline_ops.models import Entity

# \A and \Z rather than ^ and $: Python's $ also matches before a trailing newline, and
# both Python (SQLite's REGEXP) and PostgreSQL's regex engine read \A and \Z the same way.
ENTITY_CODE_PATTERN = r"\A[A-Z][A-Z0-9_]{1,15}\Z"
ENTITY_CODE_RE = re.compile(ENTITY_CODE_PATTERN)
ENTITY_CODE_RULE = "2-16 capital letters, digits or _, starting with a letter"


def validate_entity_code(value: str) -> None:
    if not isinstance(value, str) or not ENTITY_CODE_RE.match(value):
        raise ValidationError(
            "'%(value)s' is not an entity code (%(rule)s).",
            code="invalid_entity_code",
            params={"value": value, "rule": ENTITY_CODE_RULE},
        )


def validate_absolute_path(value: str) -> None:
    """A source folder override is read by a worker whose cwd is not the admin's concern:
    a relative path would resolve somewhere unplanned, so only absolute ones are taken."""
    if value and not os.path.isabs(value):
        raise ValidationError(
            "'%(value)s' is not an absolute path.", code="relative_path", params={"value": value}
        )


def register_entity(code: str, name: str = "") -> tuple[Entity, bool]:
    from pipeline_ops.models import Entity  # here, not at the top: models import this module

    entity, created = Entity.objects.get_or_create(code=code, defaults={"name": name or code})
    return entity, created
