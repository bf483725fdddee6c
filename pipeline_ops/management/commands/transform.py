from __future__ import annotations

from pipeline_ops.pipeline.cli import StageCommand


class Command(StageCommand):
    help = (
        "Run `dbt build` (models and tests of analytics/) on the warehouse under the pipeline "
        "lock. dbt builds every entity's data; --entity/--year only label the run record "
        "(--year defaults to the newest year loaded for the entity). --select takes dbt "
        "selectors only (e.g. +fct_orders tag:daily)."
    )
    stage = "transform"
    flags = ("entity", "year", "month", "select")
    required = ("entity",)

    def options(self, flags: dict) -> dict:
        return {"select": flags["select"]}

    def done(self, run) -> None:
        rows = "-" if run.row_count is None else f"{run.row_count:,}"
        self.stdout.write(
            f"transform {run.entity.code} {run.year}: success (run {run.pk}, {rows} rows)"
        )
