"""The month-state record's writers (docs/pipeline.md, "One truth for a month's state").

`record(ctx)` is called once by the stage wrapper (runs/stage_run.py) when a run record
completes, and writes that stage's verdict into `MonthState` / `ReportState`: months.py for
the data stages, reports.py for reports. read.py answers the questions every other part
asks (is it blocked, is it behind, what is open); nothing else derives a state.
"""
