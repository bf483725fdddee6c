"""Rebuild the Django run mirror from DuckDB `_pipeline_runs` (the source of truth)."""

from __future__ import annotations

from datetime import UTC

from pipeline_ops.models import Entity, PipelineRun
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.records import RUN_COLUMNS, ensure_runs_table
from pipeline_ops.pipeline.runs.warehouse import connect


def _aware(value):
    return value.replace(tzinfo=UTC) if value is not None else None


def mirror_runs() -> int:
    with pipeline_lock({"stage": "mirror_runs"}), connect() as con:
        ensure_runs_table(con)
        rows = con.execute(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM _pipeline_runs ORDER BY id"
        ).fetchall()
    by_wid: dict[int, PipelineRun] = {}
    for values in rows:
        row = dict(zip(RUN_COLUMNS, values, strict=True))
        entity, _ = Entity.objects.get_or_create(code=row["entity"], defaults={"name": ""})
        run, _ = PipelineRun.objects.update_or_create(
            warehouse_id=row["id"],
            defaults={
                "entity": entity,
                "year": row["year"],
                "month": row["month"],
                "month_end": row["month_end"],
                "stage": row["stage"],
                "status": row["status"],
                "started_at": _aware(row["started_at"]),
                "completed_at": _aware(row["completed_at"]),
                "error_message": row["error_message"] or "",
                "source_file_hash": row["source_file_hash"] or "",
                "row_count": row["row_count"],
                "parent": by_wid.get(row["parent_id"]),
            },
        )
        by_wid[row["id"]] = run
    return len(rows)
