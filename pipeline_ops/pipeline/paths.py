"""Where every embedded store lives; all of it under PIPELINE_DATA_DIR (docs/configuration.md)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def data_dir() -> Path:
    return Path(settings.PIPELINE_DATA_DIR)


def sources_dir(entity: str, override: str = "") -> Path:
    return Path(override) if override else data_dir() / "sources" / entity


def source_workbook(entity: str, year: int, override: str = "") -> Path:
    return sources_dir(entity, override) / f"{entity}-{year}.xlsx"


def extracts_dir(entity: str, year: int) -> Path:
    return data_dir() / "extracts" / entity / str(year)


def reports_dir(entity: str) -> Path:
    return data_dir() / "reports" / entity


def ops_db_url() -> str:
    return settings.OPS_DB_URL or f"file:{data_dir() / 'ops.db'}"
