"""Django's SQLite backend, which makes the folder of its database file before opening it.

Settings create nothing on import (config/settings.py), yet a fresh PIPELINE_DATA_DIR
usually gets its first file from here (`django.sqlite3`, or a test database): the folder
is made where it is first written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        name = conn_params["database"]
        in_memory = self.creation.is_in_memory_db(name)
        if not in_memory and not str(name).startswith("file:"):  # a URI names its own place
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)
