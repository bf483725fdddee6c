from __future__ import annotations

from pipeline_ops.pipeline.cli import PipelineCommand
from pipeline_ops.pipeline.runs.schedules import setup_schedules


class Command(PipelineCommand):
    help = (
        "Create the django-q2 schedules (idempotent): one nightly sync of every changed workbook"
        " (sync --all --changed), and per active entity on the 1st of each month publish +"
        " monthly report of the previous month, then the reports subscribers asked for."
    )

    def handle(self, **_) -> None:
        made, kept = setup_schedules()
        self.stdout.write(f"Schedules: {made} created, {kept} already present.")
