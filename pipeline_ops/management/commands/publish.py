from __future__ import annotations

from pipeline_ops.pipeline.cli import StageCommand


class Command(StageCommand):
    help = (
        "Publish one entity/year/month (or range) from the warehouse to the LibSQL ops DB, "
        "all or nothing. Refuses months whose validation failed or whose transform is stale "
        "unless --force."
    )
    stage = "publish"
    flags = ("entity", "year", "month", "force")
    required = ("entity", "year", "month")

    def options(self, flags: dict) -> dict:
        return {"force": flags["force"], "warn": self.stderr.write}
