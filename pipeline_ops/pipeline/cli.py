"""Flag parsing shared by every management command.

Every parser raises `argparse.ArgumentTypeError`, so argparse names the flag, and
`PipelineCommand` turns any bad flag into one line on stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from pipeline_ops.pipeline import registry
from pipeline_ops.pipeline.entities import ENTITY_CODE_RE, ENTITY_CODE_RULE
from pipeline_ops.pipeline.errors import PipelineError, one_line
from pipeline_ops.pipeline.period import (
    MAX_YEAR,
    MIN_YEAR,
    REPORT_TYPES,
    UNITS,
    MonthRange,
    PeriodError,
    unit_code,
)
from pipeline_ops.pipeline.selectors import split_select
from pipeline_ops.pipeline.text import printable


def parse_month(value: str) -> MonthRange:
    try:
        return MonthRange.parse(value)
    except PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_entity(value: str) -> str:
    code = str(value).strip().upper()
    if not ENTITY_CODE_RE.match(code):
        raise argparse.ArgumentTypeError(f"'{value}' is not an entity code ({ENTITY_CODE_RULE})")
    return code


def parse_select(value: str) -> str:
    try:
        return " ".join(split_select(value))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def parse_unit(value: str) -> str:
    """A flag names a unit; leaving out `--unit` (not `--unit ""`) means the whole entity."""
    try:
        unit = unit_code(value)
    except PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if unit is None:
        raise argparse.ArgumentTypeError(f"unit '' is not one of {', '.join(UNITS)}")
    return unit


def parse_type(value: str) -> str:
    kind = str(value).strip().lower()
    if kind not in REPORT_TYPES:
        raise argparse.ArgumentTypeError(f"type '{value}' is not one of {', '.join(REPORT_TYPES)}")
    return kind


def parse_year(value: str) -> int:
    text = str(value).strip()
    if not text.isdigit() or not MIN_YEAR <= int(text) <= MAX_YEAR:
        raise argparse.ArgumentTypeError(f"'{value}' is not a year ({MIN_YEAR}-{MAX_YEAR})")
    return int(text)


def parse_years(value: str) -> list[int]:
    """`2025,2026`: each a year, or the flag is refused (exit 2) naming the bad one."""
    years = [part for part in str(value).split(",") if part.strip()]
    if not years:
        raise argparse.ArgumentTypeError(f"'{value}' names no year (e.g. 2025,2026)")
    return [parse_year(year) for year in years]


def parse_positive_int(value: str) -> int:
    text = str(value).strip()
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{value}' is not a positive whole number")
    return int(text)


class PrintableOutput(OutputWrapper):
    """A management command's stdout/stderr: messages are escaped before Django styles
    them, so its own colours still work and a workbook's never do."""

    def write(self, msg: str = "", style_func=None, ending=None) -> None:
        super().write(printable(msg), style_func, ending)


class OneLineParser(CommandParser):
    """argparse prints usage plus the error; operators asked for one clear line."""

    def error(self, message: str) -> NoReturn:
        if getattr(self, "called_from_command_line", False):
            sys.stderr.write(f"{self.prog}: error: {message}\n")
            sys.exit(2)
        raise CommandError(f"Error: {message}", returncode=2)


FLAG_SPECS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "entity": (("--entity",), {"type": parse_entity, "help": "entity code, e.g. IONS"}),
    "year": (("--year",), {"type": parse_year, "help": "workbook year, e.g. 2026"}),
    "month": (("--month",), {"type": parse_month, "help": "month (2) or range (1-3)"}),
    "unit": (("--unit",), {"type": parse_unit, "help": "unit: TM or DR"}),
    "type": (("--type",), {"type": parse_type, "default": "monthly", "help": "report type"}),
    "select": (("--select",), {"type": parse_select, "help": "dbt selectors, e.g. +fct_orders"}),
    "force": (("--force",), {"action": "store_true", "help": "skip safety checks"}),
}


def add_pipeline_arguments(parser: argparse.ArgumentParser, *flags: str, required=()) -> None:
    """Add the shared flags by name; `required` lists those that must be given."""
    for flag in flags:
        names, kwargs = FLAG_SPECS[flag]
        options = dict(kwargs)
        if flag in required:
            options["required"] = True
        parser.add_argument(*names, **options)


class PipelineCommand(BaseCommand):
    """Base for every pipeline command: one-line flag errors (exit 2)."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # Django builds a plain CommandParser; swap in the one-line error behaviour.
        parser.__class__ = OneLineParser
        self.parser = parser
        return parser

    def parser_error(self, message: str) -> NoReturn:
        """Flags that parse one by one but not together: one line, exit 2."""
        self.parser.error(message)

    def execute(self, *args: Any, **options: Any) -> Any:
        # Messages quote workbook text: escape control characters on the way to a terminal.
        styled = self.stderr.style_func
        self.stdout = PrintableOutput(options.pop("stdout", None) or self.stdout._out)
        self.stderr = PrintableOutput(options.pop("stderr", None) or self.stderr._out)
        self.stderr.style_func = styled
        try:
            return super().execute(*args, **options)
        except CommandError:
            raise
        except Exception as exc:  # the one boundary of every command: one line, exit 1
            self.fail(one_line(exc))

    def call_stage(self, stage_function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a domain function with this command's output wired in; PipelineError → exit 1."""
        kwargs.setdefault("on_wait", self.stderr.write)
        kwargs.setdefault("out", self.stdout.write)
        try:
            return stage_function(*args, **kwargs)
        except PipelineError as exc:
            self.fail(str(exc))
        except Exception as exc:  # whatever the stage's own wrapper did not see
            self.fail(one_line(exc))

    def fail(self, message: str) -> NoReturn:
        """A stage failed for a reason the operator can act on: one line, exit 1."""
        raise CommandError(message, returncode=1)


class StageCommand(PipelineCommand):
    """A command that runs one stage of the registry: `stage` names it, `flags` are the
    shared flags it takes, and `options()` maps the parsed flags to the stage's options."""

    stage = ""
    flags: tuple[str, ...] = ("entity", "year", "month")
    required: tuple[str, ...] = ("entity", "year")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_pipeline_arguments(parser, *self.flags, required=self.required)

    def options(self, flags: dict[str, Any]) -> dict[str, Any]:
        return {}

    def handle(self, *, entity: str, year: int | None, month: MonthRange | None = None,
               **flags: Any) -> None:  # fmt: skip
        function = registry.get(self.stage).function
        run = self.call_stage(function, entity, year, month, **self.options(flags))
        self.done(run)

    def done(self, run: Any) -> None:
        """What the command prints after a successful run (the stage printed the rest)."""
