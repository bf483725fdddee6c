from __future__ import annotations

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from pipeline_ops.views.reports import report_build_file, report_file

urlpatterns = [
    path("admin/", admin.site.urls),
    # Stable report addresses (pipeline_ops/pipeline/reports/links.py spells them).
    path("reports/<str:entity>/<str:filename>", report_file, name="report_file"),
    path(
        "reports/<str:entity>/builds/<int:build>/<str:filename>",
        report_build_file,
        name="report_build_file",
    ),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
