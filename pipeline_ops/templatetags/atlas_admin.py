from __future__ import annotations

from django import template
from django.utils import timezone

from pipeline_ops.pipeline.runs.freshness import LEVELS, MONTHS, board
from pipeline_ops.pipeline.runs.progress import progress

register = template.Library()

BOARD_PERMISSION = "pipeline_ops.view_pipelinerun"  # the board is a summary of the run history


@register.inclusion_tag("admin/pipeline_ops/freshness_board.html", takes_context=True)
def freshness_board(context):
    request = context["request"]
    if not request.user.has_perm(BOARD_PERMISSION):
        # Staff without pipeline access see the rest of the index, not entity codes.
        return {"visible": False}
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = timezone.localdate().year
    return {
        "visible": True,
        "year": year,
        "rows": board(year),
        "months": MONTHS,
        "levels": [label for _, label in LEVELS],
    }


@register.inclusion_tag("admin/pipeline_ops/progress_strip.html")
def progress_strip(run):
    return {"run": run, "steps": progress(run)}
