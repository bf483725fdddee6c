from __future__ import annotations

from pipeline_ops.pipeline.cli import MonthRange, PipelineCommand, add_pipeline_arguments
from pipeline_ops.pipeline.publish import run_publish


class Command(PipelineCommand):
    help = (
        "Publish one entity/year/month (or range) from the warehouse to the LibSQL ops DB, "
        "all or nothing. Refuses months whose validation failed or whose transform is stale "
        "unless --force."
    )

    def add_arguments(self, parser) -> None:
        add_pipeline_arguments(
            parser, "entity", "year", "month", "force", required=("entity", "year", "month")
        )

    def handle(self, *, entity: str, year: int, month: MonthRange, force: bool, **_) -> None:
        self.call_stage(run_publish, entity, year, month, force=force, warn=self.stderr.write)
