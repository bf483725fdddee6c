from __future__ import annotations

from django import template
from django.utils import timezone

from pipeline_ops.pipeline.freshness import LEVELS, MONTHS, board
from pipeline_ops.pipeline.progress import progress

register = template.Library()


@register.inclusion_tag("admin/pipeline_ops/freshness_board.html", takes_context=True)
def freshness_board(context):
    request = context["request"]
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = timezone.localdate().year
    return {
        "year": year,
        "rows": board(year),
        "months": MONTHS,
        "levels": [label for _, label in LEVELS],
    }


@register.inclusion_tag("admin/pipeline_ops/progress_strip.html")
def progress_strip(run):
    return {"run": run, "steps": progress(run)}
