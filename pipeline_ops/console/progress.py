"""The progress strip of a run: each stage of its chain as done / running / waiting."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.utils import timezone

from pipeline_ops.models import PipelineRun
from pipeline_ops.pipeline import registry


@dataclass
class Step:
    stage: str
    state: str  # done, failed, running, waiting, skipped
    seconds: float | None
    rows: int | None
    run_id: int | None

    @property
    def rows_text(self) -> str:
        """`34,744`, as every count in the admin is written."""
        return f"{self.rows:,}" if self.rows is not None else ""


def _expected(run: PipelineRun) -> list[str]:
    return registry.steps(run.stage, run.options.get("then", []))


def _descendants(run: PipelineRun) -> dict[str, PipelineRun]:
    """Stage → newest run among children and grandchildren (a chain's sync has its own)."""
    found: dict[str, PipelineRun] = {}
    for child in run.children.order_by("id"):
        found[child.stage] = child
        for grandchild in child.children.order_by("id"):
            found[grandchild.stage] = grandchild
    return found


def _state(child: PipelineRun | None, parent_done: bool) -> str:
    if child is None:
        return "skipped" if parent_done else "waiting"
    states = {"success": "done", "partial": "done", "failed": "failed", "cancelled": "stopped"}
    return states.get(child.status, "running")


def _seconds(child: PipelineRun | None) -> float | None:
    if child is None or child.started_at is None:
        return None
    end = child.completed_at or timezone.now()
    return round((end - child.started_at).total_seconds(), 1)


def progress(run: PipelineRun) -> list[Step]:
    children = _descendants(run)
    parent_done = not run.is_active
    steps = []
    nested = bool(registry.has_children(run.stage))
    for stage in _expected(run) or [run.stage]:
        child = children.get(stage) if stage != run.stage or nested else run
        steps.append(
            Step(stage, _state(child, parent_done), _seconds(child),
                 child.row_count if child else None, child.pk if child else None)
        )  # fmt: skip
    return steps


def progress_payload(run: PipelineRun) -> dict:
    return {
        "id": run.pk,
        "status": run.status,
        "active": run.is_active,
        "error": run.error_message,
        "steps": [asdict(step) for step in progress(run)],
    }
