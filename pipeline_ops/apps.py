from __future__ import annotations

from django.apps import AppConfig


class PipelineOpsConfig(AppConfig):
    name = "pipeline_ops"
    verbose_name = "Atlas Ops pipeline"
    default_auto_field = "django.db.models.BigAutoField"
