from __future__ import annotations

from pipeline_ops.pipeline.cli import PipelineCommand, parse_positive_int
from pipeline_ops.pipeline.demo.prepare import prepare
from pipeline_ops.pipeline.runs.schedules import setup_schedules


class Command(PipelineCommand):
    help = (
        "Prepare the demo (what `make run` runs): seed IONS, sync, publish and report only what"
        " is missing or out of date; never overwrites a workbook. Safe to repeat."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--rows-per-month", type=parse_positive_int, default=1500,
            help="orders per month sheet in demo workbooks it writes (default 1500)",
        )  # fmt: skip

    def handle(self, *, rows_per_month: int, **_) -> None:
        ran = prepare(self.stdout.write, rows_per_month)
        made, _kept = setup_schedules()
        if not ran and not made:
            self.stdout.write("Demo: nothing to do (workbooks, syncs, publish and report current).")
