from __future__ import annotations

import argparse

from pipeline_ops.models import Membership
from pipeline_ops.pipeline.cli import PipelineCommand, parse_entity
from pipeline_ops.pipeline.errors import PipelineError
from pipeline_ops.pipeline.memberships import grant


def parse_name(value: str) -> str:
    """A user or group name as typed: printable, at most 150 characters (Django's limit)."""
    if not value or len(value) > 150 or not value.isprintable():
        raise argparse.ArgumentTypeError(f"{value[:40]!r} is not a user or group name")
    return value


def add_member_arguments(parser: argparse.ArgumentParser) -> None:
    """Who (`--user` or `--group`) and which entity (`--entity` or `--all-entities`)."""
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", type=parse_name, help="a user's username")
    who.add_argument("--group", type=parse_name, help="a Django group's name")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--entity", type=parse_entity, help="an entity code, e.g. IONS")
    which.add_argument("--all-entities", action="store_true",
                       help="every entity, present and future (group staff)")  # fmt: skip


class Command(PipelineCommand):
    help = (
        "Give a user (or a group) an entity, or every entity, as operator or viewer"
        " (docs/admin.md, 'Who sees what'). Granting again changes the role."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_member_arguments(parser)
        parser.add_argument("--role", required=True, choices=Membership.Role.values)

    def handle(self, *, user, group, entity, role, **_) -> None:
        try:
            self.stdout.write(grant(user=user, group=group, entity=entity, role=role))
        except PipelineError as exc:
            self.fail(str(exc))
