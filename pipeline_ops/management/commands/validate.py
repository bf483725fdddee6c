from __future__ import annotations

from pipeline_ops.pipeline.cli import StageCommand


class Command(StageCommand):
    help = "Check the loaded rows against the workbook rules; errors name their cells."
    stage = "validate"
