from __future__ import annotations

from pipeline_ops.management.commands.report import ReportCommand
from pipeline_ops.pipeline.present import run_present


class Command(ReportCommand):
    help = "Render an existing report JSON as HTML and XLSX beside it; see `report`."
    flags = ("entity", "year", "month", "type")

    def run_stage(self, entity, year, month, *, report_type, **_) -> None:
        run_present(entity, year, month, report_type=report_type, **self.common())
