from __future__ import annotations

from pipeline_ops.pipeline.cli import MonthRange, PipelineCommand, add_pipeline_arguments
from pipeline_ops.pipeline.sync import run_sync


class Command(PipelineCommand):
    help = (
        "Extract → load → validate → transform one entity's workbook for a year "
        "(--month limits load to those months). Stops at the first failed stage."
    )

    def add_arguments(self, parser) -> None:
        add_pipeline_arguments(parser, "entity", "year", "month", required=("entity", "year"))

    def handle(self, *, entity: str, year: int, month: MonthRange | None, **_) -> None:
        run = self.call_stage(run_sync, entity, year, month)
        self.stdout.write(f"sync {entity} {year}: success (run {run.pk})")
