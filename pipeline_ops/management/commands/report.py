from __future__ import annotations

from pipeline_ops.pipeline.cli import StageCommand
from pipeline_ops.pipeline.period import PeriodError, resolve_period


class ReportCommand(StageCommand):
    """report, format and present: a period the flags cannot describe exits 2, like any
    other bad flag (the CLI always names the month of a monthly report)."""

    flags: tuple[str, ...] = ("entity", "year", "month", "type", "unit", "force")

    def create_parser(self, prog_name: str, subcommand: str, **kwargs):
        self.parser = super().create_parser(prog_name, subcommand, **kwargs)
        return self.parser

    def options(self, flags: dict) -> dict:
        options = {"report_type": flags["type"], "unit": flags["unit"]}
        if "force" in self.flags:
            options.update(force=flags["force"], warn=self.stderr.write)
        return options

    def handle(self, *, entity, year, month=None, **flags) -> None:
        try:
            resolve_period(entity, year, month, flags["type"], flags["unit"])
        except PeriodError as exc:
            self.parser.error(str(exc))
        super().handle(entity=entity, year=year, month=month, **flags)


class Command(ReportCommand):
    help = (
        "Build a report (format → present): JSON, HTML and XLSX in <data>/reports/<ENTITY>/. "
        "Monthly by default (--month 2); --type quarterly --month 1-3; --type yearly."
    )
    stage = "report"
