"""Workbook intake (docs/intake.md): a workbook offered for an entity-year is previewed
(the extract checks and every validation rule, in a scratch area, plus the order diff
against the current version) before it may replace the current workbook.

- preview.py: the preview itself, on files only (no warehouse, no `sources/` write);
- diff.py: the order diff, in DuckDB;
- files.py: atomic replace and the kept copies of accepted versions;
- versions.py: WorkbookVersion records, accept/reject/restore (worker side).
"""
