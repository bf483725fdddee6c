from __future__ import annotations

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from pipeline_ops.views.evidence import figure_evidence
from pipeline_ops.views.lineage import order_reports
from pipeline_ops.views.reports import report_build_file, report_file

urlpatterns = [
    path("admin/", admin.site.urls),
    # Stable report addresses (pipeline_ops/pipeline/reports/links.py spells them).
    # Where a number comes from: a figure's orders (?figure=revenue&unit=TM…), of the latest
    # build or of one kept build; and one order's reports (?year=2026&invoice=INV-1).
    path("reports/<str:entity>/orders/", order_reports, name="order_reports"),
    path("reports/<str:entity>/<str:stem>/evidence/", figure_evidence, name="figure_evidence"),
    path(
        "reports/<str:entity>/builds/<int:build>/<str:stem>/evidence/",
        figure_evidence,
        name="build_figure_evidence",
    ),
    path("reports/<str:entity>/<str:filename>", report_file, name="report_file"),
    path(
        "reports/<str:entity>/builds/<int:build>/<str:filename>",
        report_build_file,
        name="report_build_file",
    ),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
