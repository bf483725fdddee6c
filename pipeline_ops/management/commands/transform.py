from __future__ import annotations

from pipeline_ops.pipeline.cli import MonthRange, PipelineCommand, add_pipeline_arguments
from pipeline_ops.pipeline.transform import run_transform


class Command(PipelineCommand):
    help = (
        "Run `dbt build` (models and tests of analytics/) on the warehouse under the pipeline "
        "lock. dbt builds every entity's data; --entity/--year only label the run record "
        "(--year defaults to the newest year loaded for the entity). --select takes dbt "
        "selectors only (e.g. +fct_orders tag:daily)."
    )

    def add_arguments(self, parser) -> None:
        add_pipeline_arguments(parser, "entity", "year", "month", "select", required=("entity",))

    def handle(
        self,
        *,
        entity: str,
        year: int | None,
        month: MonthRange | None,
        select: str | None,
        **_,
    ) -> None:
        run = self.call_stage(run_transform, entity, year, month, select=select)
        rows = "-" if run.row_count is None else f"{run.row_count:,}"
        self.stdout.write(f"transform {entity} {run.year}: success (run {run.pk}, {rows} rows)")
