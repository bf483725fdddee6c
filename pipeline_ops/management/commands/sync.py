from __future__ import annotations

from pipeline_ops.pipeline.cli import StageCommand


class Command(StageCommand):
    help = (
        "Extract → load → validate → transform one entity's workbook for a year "
        "(--month limits load to those months). Stops at the first failed stage."
    )
    stage = "sync"

    def done(self, run) -> None:
        self.stdout.write(f"sync {run.entity.code} {run.year}: success (run {run.pk})")
