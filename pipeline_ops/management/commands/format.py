from __future__ import annotations

from pipeline_ops.management.commands.report import ReportCommand
from pipeline_ops.pipeline.report import run_format


class Command(ReportCommand):
    help = "Write only the report JSON (debugging the format stage); see `report`."

    def run_stage(self, entity, year, month, *, report_type, force=False, **_) -> None:
        run_format(entity, year, month, report_type=report_type, force=force,
                   warn=lambda m: self.stderr.write(m), **self.common())  # fmt: skip
