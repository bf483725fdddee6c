from __future__ import annotations

from django import template

from pipeline_ops.console.banner import banner
from pipeline_ops.console.board import LEVELS, MONTHS, board, board_year
from pipeline_ops.console.outcome import outcome
from pipeline_ops.console.progress import progress
from pipeline_ops.models import Entity
from pipeline_ops.pipeline import access

register = template.Library()

BOARD_PERMISSION = "pipeline_ops.view_pipelinerun"  # the board is a summary of the run history


@register.inclusion_tag("admin/pipeline_ops/freshness_board.html", takes_context=True)
def freshness_board(context):
    request = context["request"]
    if not request.user.has_perm(BOARD_PERMISSION):
        # Staff without pipeline access see the rest of the index, not entity codes.
        return {"visible": False}
    year = board_year(request)
    return {
        "visible": True,
        "year": year,
        "rows": board(year, access.visible(request.user, Entity.objects.all(), "pk")),
        "months": MONTHS,
        "levels": LEVELS,  # (stage, word): the legend's colours, from the registry
    }


@register.inclusion_tag("admin/pipeline_ops/pipeline_banner.html", takes_context=True)
def pipeline_banner(context):
    """Above the board: open failures, blocked months, the worker's state."""
    if not context["request"].user.has_perm(BOARD_PERMISSION):
        return {"visible": False}
    return {"visible": True, "banner": banner(context["request"].user)}


@register.inclusion_tag("admin/pipeline_ops/run_outcome.html")
def run_outcome(run):
    return {"run": run, "o": outcome(run)}


@register.inclusion_tag("admin/pipeline_ops/progress_strip.html")
def progress_strip(run):
    return {"run": run, "steps": progress(run)}
