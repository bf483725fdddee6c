"""Entities (the business units) and the ops DB dimension ids publish resolved."""

from __future__ import annotations

from django.db import models

from pipeline_ops.pipeline.entities import (
    ENTITY_CODE_PATTERN,
    ENTITY_CODE_RULE,
    validate_absolute_path,
    validate_entity_code,
)


class Entity(models.Model):
    code = models.CharField(
        max_length=16, unique=True, validators=[validate_entity_code], help_text=ENTITY_CODE_RULE
    )
    name = models.CharField(max_length=200, blank=True)
    source_dir = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_absolute_path],
        # No angle brackets: the admin renders help_text as HTML and would drop them.
        help_text="Absolute path of a folder that replaces PIPELINE_DATA_DIR/sources/CODE/ "
        "(superusers only).",
    )
    active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("code",)
        verbose_name_plural = "entities"
        constraints = [
            # The code names folders under the data dir: the database refuses `../x` too,
            # whatever path (admin, shell, bulk_create, raw update) the row comes by.
            models.CheckConstraint(
                condition=models.Q(code__regex=ENTITY_CODE_PATTERN),
                name="entity_code_rule",
                violation_error_message=f"Entity code: {ENTITY_CODE_RULE}.",
            )
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs) -> None:
        # The clear message before the database's bare CHECK failure (IntegrityError).
        validate_entity_code(self.code)
        validate_absolute_path(self.source_dir)
        super().save(*args, **kwargs)


class DimensionCache(models.Model):
    """Ids of ops DB dimension rows resolved by publish (read-only mirror)."""

    class Kind(models.TextChoices):
        ENTITY = "entity"
        PROGRAM = "program"
        ORGANIZATION = "organization"
        PERSON = "person"
        ACCOUNT = "account"

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="dimensions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=400)
    ops_id = models.BigIntegerField()
    label = models.CharField(max_length=400, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("entity", "kind", "key")
        constraints = [
            models.UniqueConstraint(fields=("entity", "kind", "key"), name="uniq_dimension_key")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key} → {self.ops_id}"
