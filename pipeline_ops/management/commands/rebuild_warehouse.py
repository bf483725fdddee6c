from __future__ import annotations

from typing import Any

from pipeline_ops.pipeline.cli import PipelineCommand
from pipeline_ops.pipeline.stages.batch import not_clean
from pipeline_ops.pipeline.stages.rebuild import rebuild_warehouse


class Command(PipelineCommand):
    help = (
        "Rebuild the DuckDB warehouse from every active entity's workbooks (every year found"
        " in its sources folder): the current file is moved aside, each workbook-year is"
        " extracted, loaded and validated, and one dbt build makes the marts. The recovery"
        " procedure for a lost or replaced warehouse (docs/operations.md)."
    )

    def handle(self, **_: Any) -> None:
        _kept, outcomes = self.call_stage(rebuild_warehouse)
        for outcome in outcomes:
            self.stdout.write(outcome.line())
        if not outcomes:
            self.fail("No workbooks found: the warehouse is empty (register entities first).")
        if problem := not_clean(outcomes):
            self.fail(f"Rebuilt, but {problem}")
        self.stdout.write(f"Warehouse rebuilt: {len(outcomes)} workbook-year(s).")
