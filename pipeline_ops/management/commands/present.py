from __future__ import annotations

from .report import ReportCommand


class Command(ReportCommand):
    help = "Render an existing report JSON as HTML and XLSX beside it; see `report`."
    stage = "present"
    flags = ("entity", "year", "month", "type", "unit")
