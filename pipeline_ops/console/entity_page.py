"""What an entity's page says, outcome first (docs/admin.md, "An entity's page"): its row of
the board for a year, its latest workbook versions and launched runs, and the buttons the
signed-in user may press. The buttons lead to the existing forms: the upload form, and the
Entities list's launch actions (posted for this one entity), so nothing here launches work.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from pipeline_ops.admin.actions import ACTIONS
from pipeline_ops.admin.display import local_time
from pipeline_ops.console.board import LEVELS, MONTHS, board, board_year
from pipeline_ops.console.outcome import label
from pipeline_ops.models import Entity
from pipeline_ops.pipeline import access
from pipeline_ops.pipeline.period import period_words
from pipeline_ops.views.intake import UPLOAD_PERMISSION, upload_url

LATEST = 5  # versions and runs listed; the "all" links open the filtered lists
LAUNCH_PERMISSION = "pipeline_ops.launch_pipelinerun"
RUNS_PERMISSION = "pipeline_ops.view_pipelinerun"  # the board summarises the run history
VERSIONS_PERMISSION = "pipeline_ops.view_workbookversion"
# A button's word, as docs/admin.md names the actions; its title is the stage's full label.
SHORT = {"sync": "Sync", "publish": "Publish", "report": "Report"}


@dataclass(frozen=True)
class Button:
    label: str
    url: str
    action: str = ""  # an Entities-list action, posted for this entity; "" = a plain link
    title: str = ""


def buttons(request: HttpRequest, entity: Entity) -> list[Button]:
    """Only what this user may do: upload (add_workbookversion), launch (operators), and
    only on an entity they operate (pipeline/access.py: a viewer of it presses nothing)."""
    found = []
    if not access.may(request.user, entity, access.OPERATE):
        return found
    if request.user.has_perm(UPLOAD_PERMISSION):
        found.append(Button("Upload workbook…", upload_url(entity)))
    if request.user.has_perm(LAUNCH_PERMISSION):
        changelist = reverse("admin:pipeline_ops_entity_changelist")
        found += [Button(f"{SHORT.get(key, stage.label)}…", changelist, f"launch_{key}",
                         stage.label) for key, stage in ACTIONS.items()]  # fmt: skip
    return found


def board_row(entity: Entity, year: int) -> list[tuple] | None:
    """The entity's row of the admin index's board (console/board.py); None when inactive
    (the board lists active entities only)."""
    return board(year, Entity.objects.filter(pk=entity.pk)) or None


@dataclass(frozen=True)
class Line:
    """One row of the versions or runs table."""

    url: str
    name: str
    what: str  # a version's year, a run's period
    status: str
    who: str
    when: str  # local_time's markup


def version_lines(entity: Entity) -> list[Line]:
    latest = entity.workbook_versions.select_related("uploaded_by")[:LATEST]
    return [
        Line(reverse("admin:pipeline_ops_workbookversion_change", args=[v.pk]),
             f"v{v.pk} {v.original_name}".strip(), str(v.year), v.status,
             str(v.uploaded_by or "—"), local_time(v.uploaded_at))
        for v in latest
    ]  # fmt: skip


def run_lines(entity: Entity) -> list[Line]:
    latest = entity.runs.filter(parent__isnull=True).select_related("triggered_by")[:LATEST]
    return [
        Line(reverse("admin:pipeline_ops_pipelinerun_change", args=[r.pk]),
             f"{r.pk} {label(r)}", period_words(r.year, r.month, r.month_end,
                                                (r.options or {}).get("unit")),
             r.status, f"{r.trigger} ({r.triggered_by})" if r.triggered_by else r.trigger,
             local_time(r.started_at or r.created))
        for r in latest
    ]  # fmt: skip


def page_context(request: HttpRequest, entity: Entity) -> dict:
    """What change_form.html shows above the entity's record (as `entity_page`)."""
    user, year = request.user, board_year(request)
    context = {"buttons": buttons(request, entity), "year": year, "months": MONTHS,
               "levels": LEVELS}  # fmt: skip
    if user.has_perm(RUNS_PERMISSION):
        context |= {"rows": board_row(entity, year), "runs": run_lines(entity),
                    "runs_url": _filtered("pipelinerun", entity)}  # fmt: skip
    if user.has_perm(VERSIONS_PERMISSION):
        context |= {"versions": version_lines(entity),
                    "versions_url": _filtered("workbookversion", entity)}  # fmt: skip
    return context


def _filtered(model: str, entity: Entity) -> str:
    return reverse(f"admin:pipeline_ops_{model}_changelist") + f"?entity__id__exact={entity.pk}"
