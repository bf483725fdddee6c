"""Waiting in tests: poll something observable until it holds, with a deadline, and fail
saying what never happened (never a sleep that guesses how long something takes)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float, what: str, interval: float = 0.02) -> T:
    """Call `predicate` until it returns something truthy, and return that. After `timeout`
    seconds, fail naming `what` was waited for. A predicate that sees the wait is hopeless
    (the process it watches has ended) raises at once, as an assertion in it does."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"waited {timeout:g}s for {what}, in vain")
        time.sleep(interval)
