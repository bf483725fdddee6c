from __future__ import annotations

from pipeline_ops.pipeline.cli import PipelineCommand
from pipeline_ops.pipeline.roles import setup_roles


class Command(PipelineCommand):
    help = "Create or refresh the 'Pipeline operators' and 'Report viewers' groups (idempotent)."

    def handle(self, **_) -> None:
        for name, count in setup_roles().items():
            self.stdout.write(f"{name}: {count} permissions")
