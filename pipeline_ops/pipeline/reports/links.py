"""The stable address of a report: `/reports/<ENTITY>/<stem>.<ext>`, always the latest build;
`/reports/<ENTITY>/builds/<build id>/<stem>.<ext>` for one earlier build.

One place builds these links, for the admin, the run page and the e-mails (absolute, with
settings.SITE_URL), and reads a file name back (`parse_file`) for pipeline_ops/views/reports.py.
A figure's evidence page is `<stem>/evidence/?figure=…` beside the report's HTML (relative, so
the HTML at a build's address opens that build's evidence; e-mails make it absolute).
"""

from __future__ import annotations

import re

from django.conf import settings

from pipeline_ops.pipeline.entities import ENTITY_CODE_RE
from pipeline_ops.pipeline.evidence.figures import Figure

EXTENSIONS = ("html", "json", "xlsx")
# A stem is what period.py and the unit reports write (`IONS-2026-02`, `IONS-2026-Q1`,
# `IONS-2026-M02-M04`, `IONS-2026-02-TM`), at most Report.stem's 64 characters. Anything
# else (dots, slashes, NUL, spaces, over-long names) is no report file at all.
_FILE = re.compile(r"(?P<stem>[A-Za-z0-9][A-Za-z0-9_-]{0,63})\.(?P<ext>html|json|xlsx)")


def stable_path(entity: str, stem: str, ext: str = "html") -> str:
    return f"/reports/{entity}/{_file(stem, ext)}"


def build_path(entity: str, build_id: int, stem: str, ext: str = "html") -> str:
    return f"/reports/{entity}/builds/{int(build_id)}/{_file(stem, ext)}"


def stable_url(entity: str, stem: str, ext: str = "html") -> str:
    return settings.SITE_URL + stable_path(entity, stem, ext)


def evidence_query(figure: Figure) -> str:
    """`figure=revenue&unit=TM`: the evidence page's query for one figure."""
    return f"figure={figure.kind}" + (f"&{query}" if (query := figure.query()) else "")


def evidence_link(stem: str, figure: Figure) -> str:
    """Relative to the report's HTML: `IONS-2026-02/evidence/?figure=revenue&unit=TM`."""
    return f"{stem}/evidence/?{evidence_query(figure)}"


def build_evidence_url(entity: str, build_id: int, stem: str) -> str:
    """The absolute folder of one build's evidence pages, for e-mails (ends in `/`)."""
    return f"{settings.SITE_URL}/reports/{entity}/builds/{int(build_id)}/{stem}/evidence/"


def _file(stem: str, ext: str) -> str:
    if ext not in EXTENSIONS:
        raise ValueError(f"unknown report file type {ext!r}")
    return f"{stem}.{ext}"


def parse_file(entity: str, name: str) -> tuple[str, str] | None:
    """(stem, extension) of a requested `<ENTITY>/<name>`, or None when it cannot name one."""
    match = _FILE.fullmatch(name)
    if match is None or not ENTITY_CODE_RE.match(entity):
        return None
    return match["stem"], match["ext"]
