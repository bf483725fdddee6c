from __future__ import annotations

from pipeline_ops.pipeline.cli import MonthRange, PipelineCommand, add_pipeline_arguments
from pipeline_ops.pipeline.extract import run_extract


class Command(PipelineCommand):
    help = "Read the entity's source workbook into typed Parquet extracts (DESIGN §4)."

    def add_arguments(self, parser) -> None:
        add_pipeline_arguments(parser, "entity", "year", "month", required=("entity", "year"))

    def handle(self, *, entity: str, year: int, month: MonthRange | None, **_) -> None:
        self.call_stage(run_extract, entity, year, month)
