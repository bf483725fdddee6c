"""Settings from the environment, read strictly (docs/configuration.md).

A value that does not parse stops start-up with one line on stderr and exit 1, never a
traceback and never a guess: read leniently, `DEBUG=ture` would quietly mean the opposite
of what was typed. An unset or empty variable means its default.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


def refuse(problem: str) -> NoReturn:
    """Stop start-up: sys.exit prints the line on stderr and exits 1, before any logging."""
    sys.exit(f"Atlas Ops settings: {problem}")


def env_text(name: str) -> str:
    return os.environ.get(name, "").strip()


def env_bool(name: str, default: bool) -> bool:
    """A yes or no: one of TRUE or FALSE whatever its case, or start-up stops."""
    text = env_text(name)
    if not text:
        return default
    if text.lower() in TRUE:
        return True
    if text.lower() in FALSE:
        return False
    accepted = ", ".join(f"{yes}/{no}" for yes, no in zip(TRUE, FALSE, strict=True))
    refuse(f"{name}={text!r} is not a yes or no ({accepted})")


def env_number(
    name: str, default: float, kind: type = int, minimum: float = 0, maximum: float | None = None
) -> float:
    """A number from the environment within its bounds, or start-up stops."""
    text = env_text(name)
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or value != value or value < minimum or (maximum and value > maximum):
        bounds = f">= {minimum}" + (f" and <= {maximum}" if maximum else "")
        refuse(f"{name}={text!r} is not a number {bounds}")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]
