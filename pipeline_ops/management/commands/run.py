from __future__ import annotations

from .sync import Command as SyncCommand

DEPRECATION = (
    "Warning: `manage.py run` is deprecated and will be removed; use `manage.py sync` (same flags)."
)


class Command(SyncCommand):
    help = "Deprecated alias of `sync` (same flags and behaviour); use `manage.py sync`."

    def handle(self, *args, **options) -> None:
        self.stderr.write(DEPRECATION)
        super().handle(*args, **options)
