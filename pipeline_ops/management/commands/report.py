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
        "Monthly by default (--month 2); --type quarterly --month 1-3; --type yearly. "
        "--email mails it to its subscribers now. Blocked months are withheld from a "
        "quarterly, yearly or range report; --strict refuses instead."
    )
    stage = "report"

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--email", action="store_true", help="mail it to its subscribers (docs/reports.md)"
        )
        parser.add_argument(
            "--strict", action="store_true",
            help="refuse a report over any blocked month instead of withholding it",
        )  # fmt: skip

    def options(self, flags: dict) -> dict:
        self.email = flags["email"]
        return {**super().options(flags), "email": flags["email"], "strict": flags["strict"]}

    def done(self, run) -> None:
        """With --email: send right away, one line per subscriber. A failed send does not
        fail the command (the report was built; the worker tries again)."""
        if not self.email:
            return
        from pipeline_ops.pipeline.reports.delivery import send_pending

        build = run.report_builds.order_by("-id").first()
        deliveries = send_pending(build) if build else []
        if not deliveries:
            self.stdout.write("No active subscription for this report: nobody mailed.")
        for delivery in deliveries:
            if delivery.status == delivery.Status.SENT:
                self.stdout.write(f"Sent to {delivery.recipient}")
            elif delivery.status == delivery.Status.SENDING:
                self.stdout.write(f"Sending to {delivery.recipient} (by the worker)")
            else:
                self.stderr.write(f"Failed for {delivery.recipient}: {delivery.error}")
