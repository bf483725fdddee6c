from __future__ import annotations

from typing import Any

from pipeline_ops.pipeline.cli import StageCommand
from pipeline_ops.pipeline.stages.batch import Outcome, not_clean, sync_all


class Command(StageCommand):
    help = (
        "Extract → load → validate → transform one entity's workbook for a year "
        "(--month limits load to those months). Validation errors block their own month: "
        "the clean months are transformed and the sync fails naming the blocked ones. "
        "--all syncs every active entity's workbook-years with one dbt build; --changed "
        "only those whose workbook changed since their last sync."
    )
    stage = "sync"
    required = ()

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--all", action="store_true", help="every active entity's years")
        parser.add_argument("--changed", action="store_true", help="with --all: changed only")

    def handle(self, *, all: bool, changed: bool, **flags: Any) -> None:
        if all and (flags.get("entity") or flags.get("year") or flags.get("month")):
            self.parser_error("--all takes no --entity, --year or --month")
        if not all and (changed or not flags.get("entity") or not flags.get("year")):
            self.parser_error("give --entity and --year, or --all [--changed]")
        if not all:
            return super().handle(**flags)
        outcomes = self.call_stage(sync_all, changed_only=changed)
        self.summarise(outcomes)

    def summarise(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            self.stdout.write(outcome.line())
        if problem := not_clean(outcomes):
            self.fail(problem)

    def done(self, run) -> None:
        self.stdout.write(f"sync {run.entity.code} {run.year}: success (run {run.pk})")
