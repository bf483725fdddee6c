"""`seed`: register an entity, optionally write demo workbooks (and, later, ops DB rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .entities import register_entity
from .paths import source_workbook


@dataclass
class SeedResult:
    created: bool
    workbooks: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def seed_entity(
    code: str, *, demo: bool = False, rows_per_month: int = 1500, years: list[int] | None = None
) -> SeedResult:
    entity, created = register_entity(code)
    result = SeedResult(created=created)
    if demo:
        from .demo import write_demo_workbook

        for year in years or [2025, 2026]:
            path = source_workbook(code, year, entity.source_dir)
            write_demo_workbook(path, entity=code, year=year, rows_per_month=rows_per_month)
            result.workbooks.append(path)
    from .dimensions import seed_ops_db

    result.notes += seed_ops_db(entity)
    return result
