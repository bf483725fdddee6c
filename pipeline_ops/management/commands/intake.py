from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.files import File

from pipeline_ops.pipeline.cli import PipelineCommand, add_pipeline_arguments
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.intake.decide import accept, check_acceptable
from pipeline_ops.pipeline.intake.report import summary_lines
from pipeline_ops.pipeline.intake.versions import Status, claim, run_preview, store
from pipeline_ops.pipeline.runs.records import get_entity
from pipeline_ops.pipeline.workbook.reader import Workbook
from pipeline_ops.pipeline.workbook.sources import open_source


class Command(PipelineCommand):
    help = (
        "Preview a workbook for an entity-year against the current one: the extract checks,"
        " every validation rule (cell addresses) and the order diff (added, removed, changed"
        " per month). --accept makes it the current workbook and queues a sync of the months"
        " that changed. Exit 0 without errors, 1 with errors or an unreadable file."
    )

    def add_arguments(self, parser) -> None:
        add_pipeline_arguments(parser, "entity", "year", required=("entity", "year"))
        parser.add_argument("path", type=Path, help="the workbook (.xlsx) to preview")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--accept", action="store_true", help="accept it after the preview")
        parser.add_argument("--accept-errors", action="store_true",
                            help="with --accept: accept even with validation errors")  # fmt: skip
        parser.add_argument("--no-sync", action="store_true", help="with --accept: queue no sync")

    def handle(self, *, entity: str, year: int, path: Path, **flags: Any) -> None:
        if (flags["accept_errors"] or flags["no_sync"]) and not flags["accept"]:
            self.parser_error("--accept-errors and --no-sync go with --accept")
        version = self.call_stage(self.preview, entity, year, path)
        if flags["json"]:
            self.stdout.write(json.dumps(version.summary, indent=2))
        else:
            for line in summary_lines(version):
                self.stdout.write(line)
        if flags["accept"]:
            self.call_stage(self.accept, version, flags)
        elif version.summary["errors"]:
            self.fail(f"{path.name}: {version.summary['errors']} validation error(s)")

    def preview(self, entity: str, year: int, path: Path, **_: Any):
        # What the file is (never blocking on a FIFO), then its zip and sheets, in the reader's
        # jail: before storing it.
        Workbook(path).close()
        with open_source(path) as handle:  # what was checked is what is stored
            version = store(get_entity(entity), year, File(handle), path.name)
        version = run_preview(version.pk)
        if version.status == Status.FAILED:
            raise PipelineError(version.error)
        return version

    def accept(self, version, flags: dict, **_: Any) -> None:
        check_acceptable(version, with_errors=flags["accept_errors"])
        claim(version, Status.PREVIEWED, Status.ACCEPTING)
        version = accept(version.pk, queue_sync=not flags["no_sync"], on_wait=self.stderr.write)
        queued = f"; sync run {version.sync_run_id} queued" if version.sync_run_id else ""
        # With --json, stdout stays one JSON object.
        out = self.stderr if flags["json"] else self.stdout
        out.write(f"Accepted: {version.original_name} is the current workbook{queued}.")
