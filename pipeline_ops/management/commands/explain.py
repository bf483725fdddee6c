from __future__ import annotations

import json
from typing import Any

from pipeline_ops.pipeline.cli import PipelineCommand, add_pipeline_arguments
from pipeline_ops.pipeline.evidence.explain import as_json, ask, explain, table_lines
from pipeline_ops.pipeline.evidence.figures import KINDS, STATUSES


class Command(PipelineCommand):
    help = (
        "The orders that make one figure of a built report, largest first, with the workbook"
        " cell each was typed in and the total (docs/reports.md). The report is named as for"
        " `report`; read from its latest build's evidence only (never the warehouse)."
        " Exit 1 when that report was not built (with evidence), 2 for a bad flag."
    )
    # Read-only and quick: it checks nothing of the project's set-up, it reads two files.
    requires_system_checks = []

    def add_arguments(self, parser) -> None:
        add_pipeline_arguments(parser, "entity", "year", "month", "type", "unit",
                               required=("entity", "year"))  # fmt: skip
        parser.add_argument("--figure", required=True, help=" | ".join(KINDS))
        parser.add_argument("--program", help="only this program's orders, e.g. TM-SD-REG")
        parser.add_argument("--day", help="a day of a monthly report (14) or a date (2026-02-14)")
        parser.add_argument("--status", help=f"only orders of this status: {', '.join(STATUSES)}")
        parser.add_argument("--in-month", help="a quarterly or yearly report's month, e.g. 3")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *, entity: str, year: int, month=None, **flags: Any) -> None:
        try:
            question = ask(
                entity, year, month, flags["type"], flags["unit"], flags["figure"],
                program=flags["program"], day=flags["day"], status=flags["status"],
                month=flags["in_month"],
            )  # fmt: skip
        except ValueError as exc:  # flags that parse one by one but name no figure: exit 2
            self.parser_error(str(exc))
        answer = explain(question)
        if flags["json"]:
            self.stdout.write(json.dumps(as_json(answer)))
            return
        for line in table_lines(answer):
            self.stdout.write(line)
