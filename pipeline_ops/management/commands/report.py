from __future__ import annotations

from pipeline_ops.pipeline.cli import MonthRange, PipelineCommand, add_pipeline_arguments
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.report import PeriodError, resolve_period, run_report


class ReportCommand(PipelineCommand):
    """Shared by report/format/present: same flags; a period the flags cannot describe exits 2."""

    flags: tuple[str, ...] = ("entity", "year", "month", "type", "force")

    def create_parser(self, prog_name: str, subcommand: str, **kwargs):
        self.parser = super().create_parser(prog_name, subcommand, **kwargs)
        return self.parser

    def add_arguments(self, parser) -> None:
        add_pipeline_arguments(parser, *self.flags, required=("entity", "year"))

    def handle(self, *, entity: str, year: int, month: MonthRange | None, type: str, **options):
        try:
            resolve_period(entity, year, month, type)  # the CLI always names the month
            self.run_stage(entity, year, month, report_type=type, **options)
        except PeriodError as exc:
            self.parser.error(str(exc))  # one line, exit 2, like any other bad flag
        except PipelineError as exc:
            self.fail(str(exc))

    def common(self) -> dict:
        return {
            "on_wait": lambda m: self.stderr.write(m),
            "out": lambda m: self.stdout.write(m),
        }

    def run_stage(self, entity, year, month, *, report_type, force=False, **_) -> None:
        run_report(entity, year, month, report_type=report_type, force=force,
                   warn=lambda m: self.stderr.write(m), **self.common())  # fmt: skip


class Command(ReportCommand):
    help = (
        "Build a report (format → present): JSON, HTML and XLSX in <data>/reports/<ENTITY>/. "
        "Monthly by default (--month 2); --type quarterly --month 1-3; --type yearly."
    )
