from __future__ import annotations

from pipeline_ops.pipeline.cli import MonthRange, PipelineCommand, add_pipeline_arguments
from pipeline_ops.pipeline.load import run_load


class Command(PipelineCommand):
    help = "Load the Parquet extracts into the warehouse raw tables (one transaction)."

    def add_arguments(self, parser) -> None:
        add_pipeline_arguments(parser, "entity", "year", "month", required=("entity", "year"))

    def handle(self, *, entity: str, year: int, month: MonthRange | None, **_) -> None:
        self.call_stage(run_load, entity, year, month)
