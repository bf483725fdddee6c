"""Every stage and chain of the pipeline, declared once.

Commands, admin actions, django-q2 tasks, schedules, the progress strip, the freshness
board and `sync` read this table; none of them lists stages of its own. A stage's function
is named here as `module:function` and imported on first use, because each stage module
pulls in its own heavy dependencies (fastexcel, dbt's subprocess, LibSQL, openpyxl) and a
command should load only its own.

Adding a stage: write its module with a `@recorded("name")` function (calls.py), add one
`Stage(...)` row below (and to a parent's `children` if it runs inside one). See
docs/architecture.md.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

CHAIN = "chain"  # a run whose options["then"] lists the stages it runs in order


@dataclass(frozen=True)
class Stage:
    name: str
    label: str  # what the admin and the progress strip call it
    run: str  # "package.module:function" inside pipeline_ops.pipeline
    children: tuple[str, ...] = ()  # stages it runs in order, each with its own run record
    level: str = ""  # the freshness board's word once it succeeded ("" = not a level)
    launchable: bool = False  # may be queued from the admin or a schedule
    needs_month: bool = False  # its admin form requires a month (a report's follows its type)
    # Keys of a run's options it is called with: recorded on every run of it, so a queued
    # run, and a re-run of any recorded run, calls it the same way (runs/launch.py).
    run_options: tuple[str, ...] = ()

    @property
    def function(self) -> Callable:
        module, name = self.run.split(":")
        return getattr(importlib.import_module(f"{__package__}.{module}"), name)


STAGES: dict[str, Stage] = {
    stage.name: stage
    for stage in (
        Stage("extract", "Extract", "stages.extract:run_extract", level="extracted"),
        Stage("load", "Load", "stages.load:run_load"),
        Stage("validate", "Validate", "stages.validate:run_validate", level="validated"),
        Stage("transform", "Transform", "stages.transform:run_transform", level="transformed",
              run_options=("select",)),
        Stage(
            "sync", "Sync (extract → load → validate → transform)", "stages.sync:run_sync",
            children=("extract", "load", "validate", "transform"), launchable=True,
        ),
        Stage("publish", "Publish to the ops DB", "stages.publish:run_publish", level="published",
              launchable=True, needs_month=True),
        Stage("format", "Format", "stages.report:run_format",
              run_options=("report_type", "unit")),
        Stage("present", "Present", "stages.present:run_present",
              run_options=("report_type", "unit")),
        Stage("report", "Report", "stages.report:run_report", children=("format", "present"),
              level="reported", launchable=True,
              run_options=("report_type", "unit", "email", "strict")),
        Stage("subscribed", "Reports for subscribers", "stages.subscribed:run_subscribed"),
        Stage(CHAIN, "Sync + publish + report", "runs.launch:run_chain",
              children=("sync", "publish", "report"), launchable=True, needs_month=True,
              run_options=("then", "report_type")),
    )
}  # fmt: skip
# The monthly schedule's chain: last month's publish and report (data synced nightly), then
# the unit, quarterly and yearly reports subscribers asked for (stages/subscribed.py).
MONTHLY_CHAIN = ("publish", "report", "subscribed")


def get(name: str) -> Stage:
    return STAGES[name]


def children(name: str) -> list[Stage]:
    return [STAGES[child] for child in STAGES[name].children]


def launchable() -> list[Stage]:
    return [stage for stage in STAGES.values() if stage.launchable]


def levels() -> list[Stage]:
    """The freshness levels in pipeline order: extract < validate < … < report."""
    return [stage for stage in STAGES.values() if stage.level]


def steps(name: str, then: tuple[str, ...] | list[str] = ()) -> list[str]:
    """The stages a run of `name` shows as steps: its children, then for each stage it
    chains (`then`) that stage's children, or the stage itself when it has none."""
    shown = [] if name == CHAIN else list(has_children(name))
    for head in then:
        shown.extend(has_children(head) or (head,))
    return shown


def has_children(name: str) -> tuple[str, ...]:
    stage = STAGES.get(name)
    return stage.children if stage else ()
