from __future__ import annotations

from datetime import timedelta

from pipeline_ops.pipeline.cli import PipelineCommand, parse_positive_int
from pipeline_ops.pipeline.errors import LockTimeout, PipelineError
from pipeline_ops.pipeline.runs.locking import pipeline_lock
from pipeline_ops.pipeline.runs.records import ensure_runs_table
from pipeline_ops.pipeline.runs.recovery import (
    fix_warehouse_runs,
    mark_abandoned_runs,
    mark_lost_queued_runs,
)
from pipeline_ops.pipeline.runs.warehouse import connect


class Command(PipelineCommand):
    help = (
        "Mark runs whose process died (kill -9, out of memory, reboot) as failed, in the ops "
        "DB and, when the pipeline lock is free, in the warehouse's _pipeline_runs. "
        "--queued-older-than N also fails runs no worker took within N minutes (lost tasks)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--queued-older-than", type=parse_positive_int, metavar="MINUTES",
            help="also fail queued runs created more than MINUTES ago (their task was lost)",
        )  # fmt: skip
        parser.add_argument(
            "--lock-timeout", type=float, default=5.0, metavar="SECONDS",
            help="how long to wait for the pipeline lock to fix the warehouse rows",
        )  # fmt: skip

    def handle(self, *, queued_older_than: int | None, lock_timeout: float, **_) -> None:
        for run in mark_abandoned_runs():
            self.stdout.write(f"Run {run.pk} ({run.stage} {run.entity.code} {run.year}) "
                              f"was abandoned by pid {run.pid}: marked failed.")  # fmt: skip
        if queued_older_than:
            for run in mark_lost_queued_runs(timedelta(minutes=queued_older_than)):
                self.stdout.write(f"Run {run.pk} ({run.stage} {run.entity.code} {run.year}) "
                                  "was never started: marked failed.")  # fmt: skip
        try:
            with pipeline_lock({"stage": "recover_runs"}, timeout=lock_timeout), connect() as con:
                ensure_runs_table(con)
                fixed = fix_warehouse_runs(con)
        except LockTimeout:
            self.stderr.write("The pipeline is busy; the next stage fixes the warehouse rows.")
            return
        except PipelineError as exc:
            self.fail(str(exc))
        self.stdout.write(f"Recovery done: {fixed} warehouse run row(s) marked failed.")
