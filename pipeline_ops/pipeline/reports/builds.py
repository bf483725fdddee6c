"""Every build of a report is kept (docs/reports.md, "Stable addresses and earlier builds").

The files at `<reports_dir>/<stem>.*` are always the latest build (what the stable address
serves). Each build is also kept under `<reports_dir>/.builds/<stem>/<stamp>-run<id>.*` and
recorded as a `ReportBuild`, so an earlier build can still be read after a rebuild.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from pipeline_ops.models import PipelineRun, Report, ReportBuild
from pipeline_ops.pipeline.paths import reports_dir

BUILDS_FOLDER = ".builds"
# field (`<kind>_path`) → the file's suffix
SUFFIXES = {"json": ".json", "html": ".html", "xlsx": ".xlsx", "evidence": ".evidence.parquet"}


def keep_build(report: Report, report_json: dict, run: PipelineRun | None) -> ReportBuild:
    """Copy the latest files of `report` aside and record them as one build."""
    generated = _generated_at(report_json)
    folder = reports_dir(report.entity.code) / BUILDS_FOLDER / report.stem
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{generated:%Y%m%dT%H%M%SZ}-run{run.pk if run else 0}"
    paths = {}
    for kind, suffix in SUFFIXES.items():
        latest = Path(getattr(report, f"{kind}_path") or "")
        if latest.is_file():
            paths[f"{kind}_path"] = str(_link_or_copy(latest, folder / f"{name}{suffix}"))
    return ReportBuild.objects.create(
        report=report,
        run=run,
        generated_at=generated,
        source_file_hash=_source_hash(report),
        warnings=report_json.get("warnings", []),
        **paths,
    )


def _link_or_copy(source: Path, target: Path) -> Path:
    # The latest files are replaced by rename, never rewritten in place, so a hard link keeps
    # this build's content for free; a copy where links are not possible.
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
    return target


def _generated_at(report_json: dict) -> datetime:
    try:
        stamp = datetime.fromisoformat(report_json["generated_at"])
    except (KeyError, TypeError, ValueError):
        return datetime.now(UTC)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _source_hash(report: Report) -> str:
    """The workbook the report's data came from: that of the last successful extract."""
    extract = (
        PipelineRun.objects.filter(
            entity=report.entity, year=report.year, stage="extract", status="success"
        )
        .exclude(source_file_hash="")
        .order_by("-completed_at", "-id")
        .first()
    )
    return extract.source_file_hash if extract else ""
