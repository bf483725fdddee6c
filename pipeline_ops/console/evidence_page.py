"""What a figure's evidence page says (docs/reports.md, "Where a number comes from"): the
figure in words, its total and orders first, then one page of its orders, largest part first,
each with the workbook cell it was typed in and the workbook version holding it.

The query names the figure (`figure=revenue&unit=TM`, the report's own id, parsed by
evidence/figures.py) and may narrow it further with `f_status`, `f_program` and `f_unit`:
separate names, so the page can say which filters are the figure's and when its total is
no longer the figure. Only the evidence file given is read (evidence/read.py, in memory).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

from django.http import QueryDict
from django.urls import reverse

from pipeline_ops.models import Report, ReportBuild, WorkbookVersion
from pipeline_ops.pipeline.evidence import figures
from pipeline_ops.pipeline.evidence.figures import Figure
from pipeline_ops.pipeline.period import MONTH_NAMES
from pipeline_ops.pipeline.reports.delivery import report_words
from pipeline_ops.pipeline.reports.labels import local_time, number, rupiah
from pipeline_ops.pipeline.reports.links import build_path, evidence_query, stable_path

if TYPE_CHECKING:  # duckdb is imported where a page reads a file, never by the admin
    from pipeline_ops.pipeline.evidence.read import Evidence

PER_PAGE = 50
FILTERS = ("unit", "program", "month", "day", "status")  # the figure's own (figures.py)
NARROWING = {"f_status": "status", "f_program": "program", "f_unit": "unit"}
FORMATS = ("csv", "xlsx")
ALLOWED = {"figure", *FILTERS, *NARROWING, "page", "format"}
KIND_WORDS = {"revenue": "Revenue", "collected": "Collected", "outstanding": "Outstanding",
              "orders": "Orders", "enrollments": "Enrollments"}  # fmt: skip


@dataclass(frozen=True)
class Asked:
    figure: Figure  # the report's figure
    narrowed: Figure  # with the page's narrowing filters: what the rows are
    narrowing: dict[str, str] = field(default_factory=dict)  # f_* name → value
    page: int = 1  # 0: beyond any page number anyone means, the last one
    format: str | None = None


@dataclass(frozen=True)
class Source:
    """The report (or kept build) whose evidence this is, and its file inside the reports
    folder (found by the view through the report's row, never from the URL)."""

    report: Report
    build: ReportBuild | None
    path: Path

    @property
    def report_href(self) -> str:
        entity, stem = self.report.entity.code, self.report.stem
        return build_path(entity, self.build.pk, stem) if self.build else stable_path(entity, stem)


def asked(query: QueryDict) -> Asked:
    """The request's query; ValueError with one line saying what is wrong."""
    values = _single_values(query)
    kind = values.get("figure", "")
    if not kind:
        raise ValueError(f"figure is required: one of {', '.join(figures.KINDS)}")
    figure = figures.parse(kind, {name: values[name] for name in FILTERS if name in values})
    narrowed, narrowing = figure, {}
    for key, name in NARROWING.items():
        if values.get(key):
            value = getattr(figures.parse(kind, {name: values[key]}), name)
            own = getattr(figure, name)
            if own is not None and own != value:
                raise ValueError(f"{key} {value!r} contradicts the figure's own {name} {own!r}")
            if own is None:
                narrowed, narrowing[key] = narrowed.but(**{name: value}), value
    fmt = values.get("format") or None
    if fmt not in (None, *FORMATS):
        raise ValueError(f"format {fmt[:20]!r} is not one of {', '.join(FORMATS)}")
    return Asked(figure, narrowed, narrowing, _page(values.get("page") or "1"), fmt)


def _single_values(query: QueryDict) -> dict[str, str]:
    unknown = sorted(set(query) - ALLOWED)
    if unknown:
        raise ValueError(f"unknown parameter(s): {', '.join(repr(k[:40]) for k in unknown[:5])}")
    twice = sorted(key for key in query if len(query.getlist(key)) > 1)
    if twice:
        raise ValueError(f"{twice[0]} is given more than once")
    return {key: query[key] for key in query}


def _page(value: str) -> int:
    digits = value.lstrip("0") if value.isascii() and value.isdigit() else ""
    if not digits:
        raise ValueError(f"page {value[:20]!r} is not a page number (1, 2, …)")
    return int(digits) if len(digits) <= 9 else 0  # a number past any end: the last page


def figure_words(figure: Figure) -> list[str]:
    """`Revenue`, `TM`, `March`, `14 February 2026`: the figure as a reader says it."""
    return [KIND_WORDS[figure.kind], *(words for _, words in own_filters(figure))]


def own_filters(figure: Figure) -> list[tuple[str, str]]:
    """The figure's own filters in words: (`month`, `March`), (`day`, `14 February 2026`)."""
    found = []
    for name in FILTERS:
        value = getattr(figure, name)
        if name == "month" and value is not None:
            value = MONTH_NAMES[value - 1]
        elif name == "day" and value is not None:
            value = f"{value.day} {MONTH_NAMES[value.month - 1]} {value.year}"
        if value is not None:
            found.append((name, str(value)))
    return found


def amount_text(figure: Figure, value: int) -> str:
    return rupiah(value) if figure.kind in figures.MONEY else number(value)


@dataclass
class _Read:
    found: Evidence  # the rows of this page of the (narrowed) figure, and its total
    whole: Evidence  # the figure itself (the same unless narrowed)
    options: dict[str, list[str]]
    page: int
    pages: int


def _read(source: Source, request: Asked) -> _Read:
    """One connection for every question the page asks of the file; the rows of one page."""
    from pipeline_ops.pipeline.evidence.read import choices, evidence, opened  # duckdb: on use

    path, figure = source.path, request.narrowed
    with opened(path) as con:

        def summed(of: Figure) -> Evidence:  # total and count, no rows
            return _once(path, of, lambda: evidence(path, of, limit=0, con=con))

        whole, narrowed = summed(request.figure), summed(figure)
        pages = max(1, -(-narrowed.count // PER_PAGE))
        page = request.page if 0 < request.page <= pages else pages  # beyond the end: the last
        found = evidence(path, figure, limit=PER_PAGE, offset=(page - 1) * PER_PAGE, con=con)
        options = _once(path, "choices", lambda: choices(path, con))
    return _Read(found, whole, options, page, pages)


def _once(path: Path, question, answer: Callable):
    """The answer to a question about one evidence file, computed once per process: a file is
    never rewritten (a rebuild renames a new file into place: another inode)."""
    stat = path.stat()
    key = (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size, question)
    if key not in _ANSWERS:
        if len(_ANSWERS) >= 512:
            _ANSWERS.clear()
        _ANSWERS[key] = answer()
    return _ANSWERS[key]


_ANSWERS: dict[tuple, object] = {}


def page_context(source: Source, request: Asked, user) -> dict:
    """Everything the template shows; only one page of rows is read."""
    read, figure = _read(source, request), request.figure
    found, page, links = read.found, read.page, _Links(request)
    return {
        "title": " · ".join([*figure_words(figure), report_words(source.report)]),
        "source": source,
        "built": local_time(source.build.generated_at.isoformat()) if source.build else "",
        "figure_total": amount_text(figure, read.whole.total),
        "figure_count": number(read.whole.count),
        "figure_orders": "order" if read.whole.count == 1 else "orders",
        "kind_word": KIND_WORDS[figure.kind],
        "own": own_filters(figure),
        "hidden": parse_qsl(evidence_query(figure)),
        "selects": _selects(request, read.options),
        "narrowed": ", ".join(f"{NARROWING[k]} {v}" for k, v in request.narrowing.items()),
        "total": amount_text(figure, found.total),
        "count": number(found.count),
        "orders": "order" if found.count == 1 else "orders",
        "rows": _rows(source, figure, found.rows, user),
        "page": page, "pages": read.pages,
        "first": (page - 1) * PER_PAGE + 1 if found.count else 0,
        "last": min(page * PER_PAGE, found.count),
        "prev_href": links.page(page - 1) if page > 1 else "",
        "next_href": links.page(page + 1) if page < read.pages else "",
        "csv_href": links.download("csv"), "xlsx_href": links.download("xlsx"),
        "clear_href": links.cleared(),
    }  # fmt: skip


class _Links:
    """This page's own address with another page, format or no narrowing."""

    def __init__(self, request: Asked) -> None:
        self.base = evidence_query(request.figure)
        self.narrowing = urlencode(request.narrowing)

    def page(self, number: int) -> str:
        return "?" + "&".join(filter(None, (self.base, self.narrowing, f"page={number}")))

    def download(self, fmt: str) -> str:
        return "?" + "&".join(filter(None, (self.base, self.narrowing, f"format={fmt}")))

    def cleared(self) -> str:
        return f"?{self.base}"


def _selects(request: Asked, found: dict[str, list[str]]) -> list[dict]:
    """A select per narrowing filter the figure leaves open (its own are shown as fixed)."""
    return [
        {"name": key, "label": name.capitalize(), "options": found.get(name, []),
         "selected": request.narrowing.get(key, "")}
        for key, name in NARROWING.items()
        if getattr(request.figure, name) is None
    ]  # fmt: skip


def _rows(source: Source, figure: Figure, rows: list[dict], user) -> list[dict]:
    versions = _versions(source.report, {r["workbook_sha256"] for r in rows}, user)
    orders = reverse("order_reports", args=[source.report.entity.code])
    year = source.report.year
    return [
        dict(
            r,
            invoice_href=f"{orders}?{urlencode({'year': year, 'invoice': r['invoice']})}"
            if r["invoice"] else "",
            price_text=rupiah(r["price"]), discount_text=rupiah(r["discount"]),
            paid_text=rupiah(r["paid"]), amount_text=amount_text(figure, r["amount"]),
            sha_short=(r["workbook_sha256"] or "")[:12],
            version_href=versions.get(r["workbook_sha256"], ""),
        )
        for r in rows
    ]  # fmt: skip


def _versions(report: Report, shas: set[str], user) -> dict[str, str]:
    """sha256 → the admin download of a stored workbook version with that content (the
    newest), for users who may download versions."""
    if not user.has_perm("pipeline_ops.view_workbookversion"):
        return {}
    stored = (
        WorkbookVersion.objects.filter(entity=report.entity, year=report.year, sha256__in=shas)
        .exclude(upload="")
        .order_by("-uploaded_at", "-id")
        .values_list("sha256", "pk")
    )
    found: dict[str, str] = {}
    for sha, pk in stored:
        found.setdefault(sha, reverse("admin:pipeline_ops_workbookversion_download", args=[pk]))
    return found
