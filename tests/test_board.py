"""The freshness board shows months validation blocked (Django mirrors only, no warehouse)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pipeline_ops.models import ValidationIssue
from pipeline_ops.pipeline.runs.freshness import board

pytestmark = pytest.mark.django_db


def issue(entity, month: int | None, severity: str = "error", cell: str = "FEB!D7") -> None:
    ValidationIssue.objects.create(
        entity=entity, year=2026, month=month, cell=cell, rule="blank_student",
        severity=severity, message="Nama Siswa is blank",
    )  # fmt: skip


def blocked_months(year: int = 2026) -> dict[int, str]:
    ((_entity, cells),) = board(year)
    return {cell.month: cell.blocked for cell in cells if cell.blocked}


def test_an_error_blocks_its_own_month_on_the_board_and_a_warning_blocks_nothing(entity):
    issue(entity, 2)
    issue(entity, 3, severity="warning", cell="MAR!C4")
    assert blocked_months() == {2: "FEB!D7 blank_student: Nama Siswa is blank"}
    assert blocked_months(2025) == {}


def test_an_error_in_referensi_blocks_every_month(entity):
    issue(entity, None, cell="REFERENSI!C9")
    assert sorted(blocked_months()) == list(range(1, 13))


def test_the_admin_index_shows_a_blocked_month_in_red_with_its_first_error(admin_client, entity):
    issue(entity, 2)
    html = admin_client.get(reverse("admin:index"), {"year": 2026}).content.decode()
    assert 'class="fresh fresh-blocked"' in html
    assert "first: FEB!D7 blank_student: Nama Siswa is blank" in html
