"""dbt selectors as `--select` may carry them: selections only, never a dbt flag."""

from __future__ import annotations

import re

# One dbt selector: method prefixes (tag:, path:), graph operators (+, @, 2+), globs and
# intersections (a,b). Never a leading "-": that would be a dbt flag, not a selection.
SELECTOR_RE = re.compile(r"[A-Za-z0-9_.*+@:/,][A-Za-z0-9_.*+@:/,-]*")


def split_select(value: str) -> list[str]:
    """The dbt selectors in a --select value; ValueError names the first token that is not one.

    The one rule for both the flag and `transform.run_dbt_build` (which also refuses)."""
    tokens = str(value).split()
    if not tokens:
        raise ValueError("--select is empty (give dbt selectors like stg_orders or tag:daily)")
    for token in tokens:
        if not SELECTOR_RE.fullmatch(token):
            raise ValueError(
                f"{token!r} in --select is not a dbt selector"
                " (letters, digits and _ . * + @ : / , - only; no leading -)"
            )
    return tokens
