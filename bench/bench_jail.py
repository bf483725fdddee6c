"""What the reader's jail costs on the 120k-order workbook (issue 21: ≤ 0.2 s of extract).

Both sides read every sheet of the workbook into Arrow, two at a time, as extract does:
in-process with fastexcel (what extract did before the jail), and through `Workbook`,
whose child process parses them (start-up, budget, Arrow files mapped back).
"""

from __future__ import annotations

import threading
from pathlib import Path

from bench import common

TARGET_S = 0.2
ROUNDS = 5


def _in_process(path: Path) -> None:
    import fastexcel

    names = list(fastexcel.read_excel(str(path)).sheet_names)  # REFERENSI and the months

    def lane(mine: list[str]) -> None:
        reader = fastexcel.read_excel(str(path))
        for name in mine:
            reader.load_sheet(name, header_row=None, dtypes="string").to_arrow_with_errors()

    lanes = [threading.Thread(target=lane, args=(names[i::2],)) for i in range(2)]
    for thread in lanes:
        thread.start()
    for thread in lanes:
        thread.join()


def _jailed(path: Path) -> None:
    from pipeline_ops.pipeline.workbook.reader import Workbook

    with Workbook(path) as book:
        book.prefetch(book.sheet_names)
        book.reference()
        for name in book.month_sheets().values():
            book.sheet(name)


def bench(workdir: Path) -> list[dict]:
    path = common.big_workbook()
    direct = common.median_seconds(lambda: _in_process(path), ROUNDS)
    jailed = common.median_seconds(lambda: _jailed(path), ROUNDS)
    cost = jailed - direct
    return [
        {
            "stage": "read 120k through the jail", "rows": 120_000, "seconds": jailed,
            "baseline": direct, "baseline_name": "in-process",
            "note": f"reader jail costs {cost:+.2f} s on the 120k workbook (median of"
            f" {ROUNDS}; target ≤ {TARGET_S:g} s): {'met' if cost <= TARGET_S else 'MISSED'}",
        }
    ]  # fmt: skip
