"""Is the warehouse behind its workbook?

Checked before `format`: a report built from stale marts says so, in its `warnings` and on
stderr. These are warnings only — a director may still want yesterday's numbers — and
`--force` skips the check. Call it while holding the pipeline lock (it reads runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline_ops.pipeline.paths import source_workbook
from pipeline_ops.pipeline.runs.records import get_last_run, transform_is_behind
from pipeline_ops.pipeline.runs.warehouse import connect
from pipeline_ops.pipeline.workbook.sources import source_sha256

CHUNK = 1 << 20


@dataclass
class Staleness:
    warnings: list[str] = field(default_factory=list)
    current_hash: str | None = None


def staleness_warnings(entity: str, year: int, source_override: str = "") -> Staleness:
    result = Staleness()
    with connect() as con:
        extract = get_last_run(con, entity=entity, year=year, stage="extract")
        load = get_last_run(con, entity=entity, year=year, stage="load")
        transform = get_last_run(con, entity=entity, year=year, stage="transform")
    sync_hint = f"run `manage.py sync --entity {entity} --year {year}`"
    workbook = source_workbook(entity, year, source_override)
    # Only a regular file in the sources folder is hashed: never a FIFO (the report would
    # block for ever) nor a link out of the folder.
    result.current_hash = source_sha256(workbook)
    if result.current_hash:
        seen = extract and extract.get("source_file_hash")
        if seen and seen != result.current_hash:
            result.warnings.append(
                f"The workbook {workbook.name} changed since the last extract"
                f" ({extract['completed_at']:%Y-%m-%d %H:%M} UTC): {sync_hint} to refresh."
            )
    if transform is None:
        result.warnings.append(
            f"No successful transform exists for {entity} {year}: the report tables may be"
            f" missing or out of date; {sync_hint}."
        )
    elif load and transform_is_behind(load["completed_at"], transform["completed_at"]):
        result.warnings.append(
            f"Data was loaded ({load['completed_at']:%Y-%m-%d %H:%M} UTC) after the last"
            f" transform ({transform['completed_at']:%Y-%m-%d %H:%M} UTC): {sync_hint}."
        )
    return result
