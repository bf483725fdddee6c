"""Shared fixture module: builds small workbooks in code (owned by the extract work)."""
