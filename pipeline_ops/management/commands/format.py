from __future__ import annotations

from .report import ReportCommand


class Command(ReportCommand):
    help = "Write only the report JSON (debugging the format stage); see `report`."
    stage = "format"
