from __future__ import annotations

from pipeline_ops.pipeline.cli import (
    PipelineCommand,
    add_pipeline_arguments,
    parse_positive_int,
    parse_years,
)
from pipeline_ops.pipeline.demo.seed import seed_entity
from pipeline_ops.pipeline.errors import PipelineError


class Command(PipelineCommand):
    help = (
        "Register an entity; with --demo also write deterministic demo workbooks "
        "(IONS-2025.xlsx, IONS-2026.xlsx) into its source folder. A workbook there that"
        " differs from the demo is never overwritten without --force."
    )

    def add_arguments(self, parser) -> None:
        add_pipeline_arguments(parser, "entity", required=("entity",))
        parser.add_argument("--demo", action="store_true", help="write demo workbooks")
        parser.add_argument(
            "--rows-per-month",
            type=parse_positive_int,
            default=1500,
            help="orders per month sheet in the demo workbooks (default 1500)",
        )
        parser.add_argument(
            "--years",
            type=parse_years,
            default=[2025, 2026],
            help="comma-separated demo years (default 2025,2026)",
        )
        parser.add_argument(
            "--force", action="store_true", help="with --demo: overwrite edited workbooks"
        )

    def handle(self, *, entity: str, demo: bool, rows_per_month: int, years: list, force: bool,
               **_) -> None:  # fmt: skip
        if force and not demo:
            self.parser_error("--force goes with --demo")
        try:
            result = seed_entity(entity, demo=demo, rows_per_month=rows_per_month, years=years,
                                 force=force)  # fmt: skip
        except PipelineError as exc:
            self.fail(str(exc))
        self.stdout.write(f"Entity {entity} {'registered' if result.created else 'exists'}.")
        for path in result.workbooks:
            self.stdout.write(f"Wrote {path}")
        for line in result.notes:
            self.stdout.write(line)
