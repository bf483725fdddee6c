"""Test-only URLconf: views that fail the way a bad request or a lost connection does."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as product_urls


def broken_queue(request: HttpRequest) -> HttpResponse:
    # Locals like these sit in real frames when a broker or database call fails.
    broker_url = settings.Q_CLUSTER["redis"]
    cluster = settings.Q_CLUSTER
    raise ConnectionError(f"Error connecting to {broker_url}; cluster {cluster['name']}")


def broken_database(request: HttpRequest) -> HttpResponse:
    conninfo = "postgres://atlas:s3cretpw@db.internal:5432/atlas"
    raise RuntimeError(f"could not connect: {conninfo}")


urlpatterns = [
    path("boom/queue/", broken_queue),
    path("boom/database/", broken_database),
    *product_urls,
]
