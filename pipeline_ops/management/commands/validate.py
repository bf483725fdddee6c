from __future__ import annotations

from pipeline_ops.pipeline.cli import MonthRange, PipelineCommand, add_pipeline_arguments
from pipeline_ops.pipeline.validate import run_validate


class Command(PipelineCommand):
    help = "Check the loaded rows against the workbook rules; errors name their cells."

    def add_arguments(self, parser) -> None:
        add_pipeline_arguments(parser, "entity", "year", "month", required=("entity", "year"))

    def handle(self, *, entity: str, year: int, month: MonthRange | None, **_) -> None:
        self.call_stage(run_validate, entity, year, month)
