"""Geometry of the report's inline SVG charts: numbers and words for the templates in
templates/reports/charts/, no markup here (docs/reports.md, "Charts").

Every chart has a value axis with round ticks (`Rp 150 jt`), a legend drawn inside the SVG
(so it prints with the chart) and shapes that differ without colour: target = dark line,
outstanding = hatched. Numbers are strings so template localisation cannot add commas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pipeline_ops.pipeline.period import MONTH_ABBREVIATIONS

WIDTH = 720
BLUE, ORANGE, INK = "#2f6fb2", "#b25e09", "#1d2733"
# Indonesian short scales: ribu, juta, miliar, triliun.
SCALES = ((10**12, "T"), (10**9, "M"), (10**6, "jt"), (10**3, "rb"))
CHAR_W = 6.4  # average advance of an 11px sans-serif character, for laying out legends


def f1(value: float) -> str:
    return f"{value:.1f}"


def short_rupiah(value: int, prefix: bool = True) -> str:
    """`Rp 150 jt`, `Rp 1,25 M`: three significant digits, a decimal comma."""
    sign, amount = ("−" if value < 0 else ""), abs(value)
    number, word = str(amount), ""
    for size, name in SCALES:
        if amount >= size:
            scaled = amount / size
            digits = 0 if scaled >= 100 else 1 if scaled >= 10 else 2
            number = f"{scaled:.{digits}f}"
            number = number.rstrip("0").rstrip(".") if digits else number
            number = number.replace(".", ",")
            word = f" {name}"
            break
    return f"{sign}{'Rp ' if prefix else ''}{number}{word}"


def nice_scale(top: float, steps: int = 4, whole: bool = False) -> tuple[float, float]:
    """(axis maximum, tick step): a 1, 2, 2.5 or 5 × 10ⁿ step with the maximum on a tick."""
    if top <= 0:
        return (float(steps), 1.0) if whole else (1_000_000.0 * steps, 1_000_000.0)
    raw = top / steps
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if whole:
        step = max(1.0, math.ceil(step))
    return math.ceil(top / step - 1e-9) * step, step


@dataclass
class Series:
    name: str
    values: list[int]
    fill: str  # a colour, or "hatch" for the hatched pattern
    inside: bool = False  # write each value inside its segment when it fits


def legend(items: list[tuple[str, str]], x: float = 72.0, y: float = 14.0) -> list[dict]:
    """(shape, label) pairs laid out left to right; shape is a fill colour, "hatch", "target"
    (a horizontal line), "pace" (a dashed one) or "vtarget" (a vertical line)."""
    placed = []
    for shape, label in items:
        placed.append({"shape": shape, "label": label, "x": f1(x), "x2": f1(x + 12),
                       "tx": f1(x + 16), "y": f1(y), "box_y": f1(y - 9), "line_y": f1(y - 4),
                       "vx": f1(x + 6), "vy1": f1(y - 11), "vy2": f1(y + 2)})  # fmt: skip
        x += 18 + len(label) * CHAR_W + 18
    return placed


@dataclass
class Frame:
    """The plot area of a column chart inside a WIDTH-wide viewBox."""

    count: int
    left: float = 72.0
    top: float = 44.0
    height: float = 180.0

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def slot(self) -> float:
        return (WIDTH - 8 - self.left) / max(self.count, 1)

    def y(self, value: float, scale: float) -> float:
        return self.bottom - self.height * max(value, 0) / scale


def value_ticks(frame: Frame, scale: float, step: float) -> list[dict]:
    count = round(scale / step)
    return [
        {"y": f1(frame.y(i * step, scale)), "label": short_rupiah(round(i * step))}
        for i in range(count + 1)
    ]


def _segments(series: list[Series], i: int, frame: Frame, scale: float, x: float) -> list[dict]:
    width, base, result = _bar_width(frame), 0, []
    for s in series:
        value = max(s.values[i], 0)
        top, bottom = frame.y(base + value, scale), frame.y(base, scale)
        fits = s.inside and bottom - top >= 13 and width >= 30
        result.append({
            "x": f1(x), "y": f1(top), "w": f1(width), "h": f1(bottom - top), "fill": s.fill,
            "value": s.values[i], "text": short_rupiah(s.values[i], prefix=False) if fits else "",
            "ty": f1((top + bottom) / 2 + 4),
        })  # fmt: skip
        base += value
    return result


def _bar_width(frame: Frame) -> float:
    return min(frame.slot * 0.62, 56.0)


def columns(chart_id: str, title: str, labels: list[str], series: list[Series], *,
            targets: list[int] | None = None, totals_on_top: bool = False,
            tips: list[str] | None = None, reference: int | None = None,
            ) -> dict:  # fmt: skip
    """A (stacked) column chart; `targets` adds a dark line across each column, `reference`
    a dashed line across the whole plot."""
    frame = Frame(len(labels))
    stacks = [sum(max(s.values[i], 0) for s in series) for i in range(len(labels))]
    marks = (targets or []) + ([reference] if reference else [])
    scale, step = nice_scale(max(stacks + marks + [0]))
    cols = [
        _column(frame, scale, i, label, series, targets, stacks[i] if totals_on_top else None)
        for i, label in enumerate(labels)
    ]
    for col, tip in zip(cols, tips or labels, strict=True):
        col["tip"] = tip
    return {"id": chart_id, "title": title, "w": WIDTH, "h": f1(frame.bottom + 26),
            "left": f1(frame.left), "right": f1(WIDTH - 8), "tick_x": f1(frame.left - 6),
            "bottom": f1(frame.bottom),
            "label_y": f1(frame.bottom + 16), "ticks": value_ticks(frame, scale, step),
            "cols": cols, "small": frame.slot < 26,
            "reference": {"y": f1(frame.y(reference, scale)), "value": reference}
            if reference else None}  # fmt: skip


def _column(frame: Frame, scale: float, i: int, label: str, series: list[Series],
            targets: list[int] | None, total: int | None) -> dict:  # fmt: skip
    width = _bar_width(frame)
    left = frame.left + i * frame.slot + (frame.slot - width) / 2
    col = {"label": label, "cx": f1(left + width / 2),
           "segments": _segments(series, i, frame, scale, left)}  # fmt: skip
    if targets is not None:
        pad = min(frame.slot * 0.12, 8)
        col["target"] = {"x1": f1(left - pad), "x2": f1(left + width + pad),
                         "y": f1(frame.y(targets[i], scale)), "value": targets[i]}  # fmt: skip
    if total is not None:  # above the column and its target line, so neither hides it
        col["total"] = short_rupiah(total, prefix=frame.slot >= 64)
        highest = max(total, targets[i] if targets else 0)
        col["total_y"] = f1(frame.y(highest, scale) - 6)
    return col


def month_labels(by_month: list[dict]) -> list[str]:
    return [MONTH_ABBREVIATIONS[m["month"] - 1] for m in by_month]


def hbars(chart_id: str, title: str, rows: list[dict], axis_title: str) -> dict:
    """Horizontal bars with a target line each: rows of label, actual, target, text, tip."""
    left, right, top, row_h = 200.0, 560.0, 34.0, 26.0
    values = [r["actual"] for r in rows] + [r["target"] for r in rows]
    scale, step = nice_scale(max([*values, 0]), whole=True)

    def x(value: float) -> float:
        return left + (right - left) * max(value, 0) / scale

    bars = []
    for i, r in enumerate(rows):
        y = top + i * row_h
        bars.append(dict(
            r, x=f1(left), y=f1(y + 5), w=f1(x(r["actual"]) - left), ty=f1(y + 17),
            target_x=f1(x(r["target"])), ty1=f1(y + 1), ty2=f1(y + 25),
            text_x=f1(max(x(r["actual"]), x(r["target"])) + 6),
        ))  # fmt: skip
    bottom = top + len(rows) * row_h
    ticks = [{"x": f1(x(i * step)), "label": f"{round(i * step):,}".replace(",", ".")}
             for i in range(round(scale / step) + 1)]  # fmt: skip
    return {"id": chart_id, "title": title, "w": WIDTH, "h": f1(bottom + 40), "left": f1(left),
            "label_x": f1(left - 8), "top": f1(top - 4), "bottom": f1(bottom), "ticks": ticks,
            "tick_y": f1(bottom + 14), "axis_title": axis_title, "axis_x": f1((left + right) / 2),
            "axis_y": f1(bottom + 32), "bars": bars}  # fmt: skip
