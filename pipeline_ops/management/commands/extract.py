from __future__ import annotations

from pipeline_ops.pipeline.cli import StageCommand


class Command(StageCommand):
    help = "Read the entity's source workbook into typed Parquet extracts."
    stage = "extract"
