from __future__ import annotations

from pipeline_ops.pipeline.cli import StageCommand


class Command(StageCommand):
    help = "Load the Parquet extracts into the warehouse raw tables (one transaction)."
    stage = "load"
