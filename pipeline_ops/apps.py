from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _create_roles(sender, **kwargs) -> None:
    from pipeline_ops.pipeline.roles import setup_roles

    setup_roles()


class PipelineOpsConfig(AppConfig):
    name = "pipeline_ops"
    verbose_name = "Atlas Ops pipeline"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Groups need the permissions, which exist only after migrate: create them there.
        post_migrate.connect(_create_roles, sender=self)
        from pipeline_ops import checks  # noqa: F401  (registers the start-up checks)
        from pipeline_ops.pipeline.runs.launch import connect_worker_signal

        connect_worker_signal()
