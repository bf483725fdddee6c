"""Numbers too large for their column, as validation SQL (rules.py; docs/workbooks.md).

Extract types every number with try_cast (cells.py): a Harga of 10^30 or a Target Siswa of
3,000,000,000 becomes NULL, never a DuckDB ConversionException, and the rules here name its
cell with the column's range. Amounts that each fit can still add up past a BIGINT in the
marts' monthly sums, so a month whose amounts could overflow them is an error too, at the
row that tips it over.
"""

from __future__ import annotations

from pipeline_ops.pipeline.text import CONTROL_CLASS

BIGINT_MAX = 2**63 - 1  # money: Harga, Diskon, Dibayar, Target Pendapatan
INTEGER_MAX = 2**31 - 1  # Target Siswa

# What money text may look like once money_text() has cleaned it, and how each shape becomes
# a BIGINT (cells.py's money_num). Every conversion is a try_cast: text of a money shape whose
# number does not fit gives NULL, never an error, and `out_of_range` asks MONEY_SHAPE again
# to tell "too large" from "not a number".
MONEY_SHAPES = {
    r"-?\d+": "try_cast(t AS BIGINT)",
    r"-?\d{1,3}(\.\d{3})+(,\d{1,2})?":
        r"try_cast(replace(regexp_replace(t, ',\d+$', ''), '.', '') AS BIGINT)",
    r"-?\d{1,3}(,\d{3})+(\.\d+)?":
        "try_cast(round(try_cast(replace(t, ',', '') AS DOUBLE)) AS BIGINT)",
    r"-?\d+\.\d+": "try_cast(round(try_cast(t AS DOUBLE)) AS BIGINT)",
    r"-?\d+,\d{1,2}": "try_cast(round(try_cast(replace(t, ',', '.') AS DOUBLE)) AS BIGINT)",
}  # fmt: skip
MONEY_SHAPE = "|".join(MONEY_SHAPES)


def money_text_sql(expr: str) -> str:
    """SQL for `expr` as money text: no spaces, upper case, no Rp/IDR prefix, no `,-` tail."""
    return (
        r"regexp_replace(regexp_replace(upper(regexp_replace("
        rf"{expr}, '[\s\x{{00A0}}]+', '', 'g')), '^(-?)(RP|IDR)\.?', '\1'), '[,.]-$', '')"
    )


def out_of_range(field: str, header: str, most: int, chars: int) -> tuple[str, str]:
    """(condition, message) for a typed NULL whose text has a number's shape (money_num's):
    only a number that did not fit gives NULL there. The message shows the text as typed,
    unquoted like typed numbers, cut to `chars`. The cleaned text appears once: these
    expressions are planned for every validation, and each copy costs planning time."""
    raw = f"{field}_raw"
    text = money_text_sql(f"regexp_replace({raw}, '[{CONTROL_CLASS}]', '', 'g')")
    shown = f"CASE WHEN length({raw}) > {chars} THEN left({raw}, {chars - 1}) || '…'"
    shown += f" ELSE {raw} END"
    bound = (  # negative: a minus before the first digit (`-Rp 5`, `Rp -5`)
        f"CASE WHEN regexp_matches({raw}, '^[^0-9]*-') THEN ' is too small (at least"
        f" -{most + 1:,})' ELSE ' is too large (at most {most:,})' END"
    )
    condition = f"{field} IS NULL AND regexp_full_match({text}, '{MONEY_SHAPE}')"
    return condition, f"'{header} ' || {shown} || {bound}"


def crossing(field: str) -> str:
    """The row whose amount takes its month's running total (`running`) past BIGINT."""
    return f"running > {BIGINT_MAX} AND running - abs({field}::HUGEINT) <= {BIGINT_MAX}"


def running_total(source: str, field: str, extra: str = "") -> str:
    """`source` rows of the months whose Σ|field| does not fit a BIGINT, with the running
    Σ|field| in sheet order (HUGEINT), plus the `extra` columns. In a month without errors
    no amount is negative and Diskon and Dibayar are at most Harga, so Σ|Harga| bounds every
    sum the marts make of it (revenue, collected, per unit or program). Other months skip
    the window."""
    amount = f"abs({field}::HUGEINT)"
    big = (
        f"SELECT month FROM {source} WHERE {field} IS NOT NULL GROUP BY month"
        f" HAVING sum({amount}) > {BIGINT_MAX}"
    )
    return (
        f"SELECT *, {extra}sum({amount}) OVER (PARTITION BY month ORDER BY source_row) AS running"
        f" FROM {source} WHERE {field} IS NOT NULL AND month IN ({big})"
    )
