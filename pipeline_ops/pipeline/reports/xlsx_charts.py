"""Native Excel charts for the report workbook (docs/reports.md, "Charts").

Each chart references the cells of the sheet it sits on, so a reader who corrects a number
sees the chart follow. Money axes read `Rp 150 jt` (Excel scales by 1,000 per trailing
comma in a number format) whatever the size of the figures.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList

from pipeline_ops.pipeline.reports.labels import period_title

MONEY_AXIS = '"Rp "#,##0,," jt"'
SIZE = (24.0, 9.0)  # cm; wide enough for 31 days or 12 months


def _chart(kind: type, title: str, x_title: str, y_title: str):
    chart = kind()
    chart.title, chart.x_axis.title, chart.y_axis.title = title, x_title, y_title
    chart.width, chart.height = SIZE
    # openpyxl 3.1 writes axes as deleted unless told otherwise: Excel would hide them.
    chart.x_axis.delete = chart.y_axis.delete = False
    return chart


def _money(chart, labels: bool = False) -> None:
    chart.y_axis.number_format = MONEY_AXIS
    if labels:
        chart.dataLabels = DataLabelList()
        chart.dataLabels.showVal = True
        chart.dataLabels.numFmt = MONEY_AXIS


def _series(chart, ws, columns: list[int], categories: int, rows: int, text: bool = True) -> None:
    for column in columns:
        data = Reference(ws, min_col=column, min_row=1, max_row=rows + 1)
        chart.add_data(data, titles_from_data=True)
    labels = Reference(ws, min_col=categories, min_row=2, max_row=rows + 1)
    chart.set_categories(labels)
    if text:  # month and program names are text: say so, or a reader may show 1, 2, 3…
        for series in chart.series:
            series.cat = AxDataSource(strRef=StrRef(f=str(labels)))


def by_day_chart(ws, report: dict) -> None:
    """Sheet "By day": A date, B day of month, C revenue."""
    rows = len(report["revenue"].get("by_day") or [])
    chart = _chart(BarChart, f"Revenue by day, {period_title(report)}", "Day of month", "Rupiah")
    chart.gapWidth = 40
    _series(chart, ws, [3], 2, rows, text=False)
    _money(chart)
    chart.legend = None
    ws.add_chart(chart, "E2")


def by_month_charts(ws, report: dict) -> None:
    """Sheet "By month": A month, B name, C actual, D target, E collected, F outstanding."""
    rows, title = len(report["revenue"]["by_month"]), period_title(report)
    bars = _chart(BarChart, f"Revenue by month against target, {title}", "Month", "Rupiah")
    _series(bars, ws, [3], 2, rows)
    _money(bars, labels=True)
    target = LineChart()
    _series(target, ws, [4], 2, rows)
    target.series[0].graphicalProperties.line.dashStyle = "dash"  # not colour alone
    bars += target  # same axes: the line reads against the bars' Rupiah scale
    ws.add_chart(bars, "H2")
    paid = _chart(BarChart, f"Collected and outstanding by month, {title}", "Month", "Rupiah")
    paid.grouping, paid.overlap = "stacked", 100
    _series(paid, ws, [5, 6], 2, rows)
    _money(paid)
    ws.add_chart(paid, "H21")


def programs_chart(ws, report: dict) -> None:
    """Sheet "Programs": B name, D enrollments, E target (Target Siswa, in students)."""
    rows = len(report["programs"])
    if not rows:
        return
    title = f"Enrollments by program against Target Siswa, {period_title(report)}"
    chart = _chart(BarChart, title, "Program", "Students")
    chart.type = "bar"  # horizontal: program names read along the axis
    chart.height = max(SIZE[1], 2.0 + rows * 0.9)
    _series(chart, ws, [4, 5], 2, rows)
    ws.add_chart(chart, "J2")
