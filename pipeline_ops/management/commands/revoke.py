from __future__ import annotations

import argparse

from pipeline_ops.management.commands.grant import add_member_arguments
from pipeline_ops.pipeline.cli import PipelineCommand
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.memberships import revoke


class Command(PipelineCommand):
    help = (
        "Take an entity (or, with --all-entities, the every-entity membership) from a user or"
        " a group (docs/admin.md, 'Who sees what'). Other memberships stay."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_member_arguments(parser)

    def handle(self, *, user, group, entity, **_) -> None:
        try:
            self.stdout.write(revoke(user=user, group=group, entity=entity))
        except PipelineError as exc:
            self.fail(str(exc))
