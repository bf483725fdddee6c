from __future__ import annotations

from pipeline_ops.pipeline.cli import PipelineCommand
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.runs.mirror import mirror_runs


class Command(PipelineCommand):
    help = "Rebuild the Django PipelineRun mirror from the warehouse's _pipeline_runs table."

    def handle(self, **_) -> None:
        try:
            count = mirror_runs()
        except PipelineError as exc:
            self.fail(str(exc))
        self.stdout.write(f"Mirrored {count} runs from the warehouse.")
