"""`seed`: register an entity, optionally write demo workbooks, and fill the ops DB's
reference rows (db_entity, db_program, db_organization) from the newest workbook.

The REFERENSI rows come from `reference.typed_reference`, i.e. extract's own typing, so a
price reads the same in the ops DB as in the warehouse however it was typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline_ops import opsdb
from pipeline_ops.models import Entity
from pipeline_ops.pipeline.dimensions import Dimensions, clean_name, mirror, name_key
from pipeline_ops.pipeline.entities import register_entity
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.paths import ops_db_url, source_workbook, sources_dir
from pipeline_ops.pipeline.workbook.reference import typed_reference
from pipeline_ops.pipeline.workbook.sources import file_sha256


@dataclass
class SeedResult:
    created: bool
    workbooks: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def seed_entity(
    code: str,
    *,
    demo: bool = False,
    rows_per_month: int = 1500,
    years: list[int] | None = None,
    force: bool = False,
    missing_only: bool = False,
) -> SeedResult:
    """`missing_only`: write only the demo workbooks that do not exist (`manage.py demo`)."""
    entity, created = register_entity(code)
    result = SeedResult(created=created)
    if demo:
        paths = [source_workbook(code, year, entity.source_dir) for year in years or [2025, 2026]]
        paths = [path for path in paths if not (missing_only and path.exists())]
        result.workbooks = write_demo_workbooks(code, paths, rows_per_month, force=force)
    result.notes += seed_ops_db(entity)
    return result


def write_demo_workbooks(code: str, paths: list[Path], rows_per_month: int, *,
                         force: bool) -> list[Path]:  # fmt: skip
    """Write each demo workbook beside its destination first: a workbook that differs from
    the demo (edited, or accepted through intake) is never overwritten without `force`, and
    a refusal leaves every workbook as it was. Returns the workbooks (re)written."""
    from pipeline_ops.pipeline.demo.workbooks import write_demo_workbook

    fresh = {path: path.with_name(f".demo-{path.name}") for path in paths}
    try:
        for path, temp in fresh.items():
            year = int(path.stem.rsplit("-", 1)[1])
            write_demo_workbook(temp, entity=code, year=year, rows_per_month=rows_per_month)
        differing = [p for p, t in fresh.items() if p.exists() and file_sha256(p) != file_sha256(t)]
        if differing and not force:
            names = ", ".join(p.name for p in differing)
            raise PipelineError(
                f"{names} in {differing[0].parent} differ(s) from the demo workbook:"
                " refusing to overwrite; use --force to replace."
            )
        written = [p for p, t in fresh.items() if not p.exists() or p in differing]
        for path in written:
            fresh[path].replace(path)
        return written
    finally:
        for temp in fresh.values():
            temp.unlink(missing_ok=True)


def newest_workbook(entity: Entity) -> Path | None:
    """The source workbook with the highest year in the entity's source folder."""
    folder = sources_dir(entity.code, entity.source_dir)
    years = [
        (int(match.group(1)), path)
        for path in folder.glob(f"{entity.code}-*.xlsx")
        if (match := re.fullmatch(rf"{re.escape(entity.code)}-(\d{{4}})\.xlsx", path.name))
    ]
    return max(years)[1] if years else None


def seed_ops_db(entity: Entity) -> list[str]:
    """Create the ops schema, db_entity, and the newest workbook's REFERENSI rows."""
    path = newest_workbook(entity)
    try:
        reference = typed_reference(path) if path else {"programs": [], "organizations": []}
        programs = [p for p in reference["programs"] if p["program_code"]]
        with opsdb.connect() as client:
            opsdb.ensure_schema(client)
            stmts = reference_statements(entity.code, programs, reference["organizations"])
            opsdb.run_batch(client, stmts)
            dims = Dimensions.load(client, entity.code)
    except PipelineError as exc:
        return [f"Ops DB not seeded: {exc}"]
    for kind in ("program", "organization"):
        dims.tables[kind].used.update(dims.tables[kind].ids)
    mirror(entity, dims)
    source = path.name if path else "no workbook yet"
    return [
        f"Ops DB {opsdb.describe_url(ops_db_url())}: entity {entity.code},"
        f" {len(programs)} programs and {len(reference['organizations'])} organizations"
        f" from {source}."
    ]


def reference_statements(
    entity_code: str, programs: Iterable[dict[str, Any]], organizations: Iterable[dict[str, Any]]
) -> list[opsdb.Statement]:
    """Upserts of REFERENSI programs and organizations, keyed by natural keys."""
    entity_sql = "(SELECT id FROM db_entity WHERE code = ?)"
    stmts: list[opsdb.Statement] = [
        ("INSERT INTO db_entity (code, name) VALUES (?, ?) ON CONFLICT (code) DO NOTHING",
         [entity_code, entity_code]),
    ]  # fmt: skip
    for p in programs:
        stmts.append((
            "INSERT INTO db_program (entity_id, code, name, unit, price, target_students)"
            f" VALUES ({entity_sql}, ?, ?, ?, ?, ?) ON CONFLICT (entity_id, code) DO UPDATE SET"
            " name = excluded.name, unit = excluded.unit, price = excluded.price,"
            " target_students = excluded.target_students",
            [entity_code, p["program_code"], p["program_name"] or "", p["unit"], p["price"],
             p["target_students"]],
        ))  # fmt: skip
    for o in organizations:
        if not name_key(o["organization"]):
            continue
        stmts.append((
            "INSERT INTO db_organization (entity_id, name_key, name, city, kind)"
            f" VALUES ({entity_sql}, ?, ?, ?, ?) ON CONFLICT (entity_id, name_key) DO UPDATE SET"
            " name = excluded.name, city = excluded.city, kind = excluded.kind",
            [entity_code, name_key(o["organization"]), clean_name(o["organization"]),
             o["city"], o["kind"]],
        ))  # fmt: skip
    return stmts
