"""The Entities launch actions: one form per stage, built from the registry, and where the
operator lands once the work is queued (docs/admin.md, "Launching work")."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pipeline_ops.models import Entity, PipelineRun
from pipeline_ops.pipeline.period import MonthRange, resolve_period

pytestmark = pytest.mark.django_db
ENTITIES = reverse("admin:pipeline_ops_entity_changelist")


def launch(client, action: str, *entities: Entity, **fields):
    data = {"action": action, "_selected_action": [e.pk for e in entities], "apply": "1"}
    return client.post(ENTITIES, {**data, **fields}, follow=True)


def form_page(client, action: str, entity: Entity):
    """What the operator sees after choosing the action (no form submitted yet)."""
    return client.post(ENTITIES, {"action": action, "_selected_action": [entity.pk]})


def levels(response) -> list[str]:
    return [message.level_tag for message in response.context["messages"]]


@pytest.mark.parametrize(
    "action, fields",
    [
        ("launch_sync", ["year", "month", "month_end"]),
        ("launch_publish", ["year", "month", "month_end"]),
        ("launch_report", ["year", "month", "month_end", "report_type", "unit"]),
        ("launch_chain", ["year", "month", "month_end", "report_type"]),
    ],
)
def test_each_launch_form_shows_only_the_fields_its_stage_takes(
    client, entity, operator, action, fields
):
    client.force_login(operator)
    page = form_page(client, action, entity)
    assert list(page.context["form"].fields) == fields
    html = page.content.decode()
    assert ('name="report_type"' in html) == ("report_type" in fields)
    assert 'class="closelink">Cancel</a>' in html and 'class="module aligned' in html


def test_the_chain_form_offers_no_yearly_report_because_it_publishes_a_month(
    client, entity, operator
):
    client.force_login(operator)
    chain = form_page(client, "launch_chain", entity).context["form"]
    report = form_page(client, "launch_report", entity).context["form"]
    assert "yearly" not in dict(chain.fields["report_type"].choices)
    assert "yearly" in dict(report.fields["report_type"].choices)
    assert chain.fields["month"].required and not report.fields["month"].required


def test_a_yearly_report_is_queued_from_the_admin_for_the_whole_year(client, entity, operator):
    client.force_login(operator)
    response = launch(client, "launch_report", entity, year=2026, report_type="yearly")
    run = PipelineRun.objects.get()
    assert (run.stage, run.year, run.month, run.month_end) == ("report", 2026, None, None)
    assert run.options["report_type"] == "yearly"
    assert resolve_period("IONS", 2026, None, run.options["report_type"]).label == "2026"
    assert response.redirect_chain[-1][0] == reverse(
        "admin:pipeline_ops_pipelinerun_change", args=[run.pk]
    )


def test_a_monthly_report_of_months_1_to_3_is_refused_under_the_month_field(
    client, entity, operator
):
    client.force_login(operator)
    response = launch(client, "launch_report", entity, year=2026, month="1", month_end="3",
                      report_type="monthly")  # fmt: skip
    errors = response.context["form"].errors
    assert list(errors) == ["month"]
    assert "A monthly report covers one month, not 1-3" in errors["month"][0]
    assert "Quarterly (1-3 is Q1)" in errors["month"][0]
    assert not PipelineRun.objects.exists()


@pytest.mark.parametrize(
    "kind, month, month_end, expected",
    [
        ("quarterly", "1", "3", ("quarterly", "quarterly", "Q1")),
        ("range", "2", "5", ("monthly", "range", "range")),
        ("monthly", "2", "", ("monthly", "monthly", "2026-02")),
    ],
)
def test_each_report_type_is_queued_as_the_period_the_operator_chose(
    client, entity, operator, kind, month, month_end, expected
):
    client.force_login(operator)
    launch(client, "launch_report", entity, year=2026, month=month, month_end=month_end,
           report_type=kind)  # fmt: skip
    run = PipelineRun.objects.get()
    months = MonthRange.of(run.month, run.month_end)
    period = resolve_period("IONS", 2026, months, run.options["report_type"])
    assert (run.options["report_type"], period.type, period.label) == expected


@pytest.mark.parametrize(
    "fields, field, text",
    [
        (
            {"report_type": "range", "month": "4", "month_end": "6"},
            "month",
            "choose Quarterly (Q2)",
        ),
        ({"report_type": "yearly", "month": "2"}, "month", "leave the months blank"),
        ({"report_type": "monthly"}, "month", "needs a month"),
        ({"report_type": "monthly", "month_end": "3"}, "month", "Choose the first month too"),
        ({"report_type": "monthly", "month": "13"}, "month", "Select a valid choice"),
    ],
)
def test_a_report_period_that_is_not_what_its_type_says_is_refused_under_its_field(
    client, entity, operator, fields, field, text
):
    client.force_login(operator)
    response = launch(client, "launch_report", entity, year=2026, **fields)
    assert text in " ".join(response.context["form"].errors[field])
    assert not PipelineRun.objects.exists()


def test_publish_needs_a_month(client, entity, operator):
    client.force_login(operator)
    response = launch(client, "launch_publish", entity, year=2026)
    assert response.context["form"].errors["month"] == ["This field is required."]


def test_after_queueing_for_one_entity_the_operator_lands_on_the_run_page(client, entity, operator):
    client.force_login(operator)
    response = launch(client, "launch_sync", entity, year=2026, month="2", month_end="3")
    run = PipelineRun.objects.get()
    assert (run.month, run.month_end, run.trigger) == (2, 3, "admin")
    url = reverse("admin:pipeline_ops_pipelinerun_change", args=[run.pk])
    assert response.redirect_chain == [(url, 302)]
    assert levels(response) == ["success"]
    assert "Sync (extract → load → validate → transform): queued 1 run(s)." in (
        response.content.decode()
    )


def test_after_queueing_for_several_entities_the_run_list_shows_just_theirs(
    client, entity, operator
):
    acme = Entity.objects.create(code="ACME", name="Acme")
    other = Entity.objects.create(code="OTHER", name="Other")
    PipelineRun.objects.create(entity=other, year=2026, stage="sync", status="success")
    client.force_login(operator)
    response = launch(client, "launch_sync", entity, acme, year=2026)
    url, status = response.redirect_chain[-1]
    assert url.startswith(reverse("admin:pipeline_ops_pipelinerun_changelist"))
    assert status == 302 and f"entity__id__in={acme.pk},{entity.pk}" in url  # by code
    shown = {run.entity.code for run in response.context["cl"].result_list}
    assert shown == {"IONS", "ACME"}
    assert "queued 2 run(s)" in response.content.decode()


def test_a_refused_duplicate_shows_only_the_warning(client, entity, operator):
    client.force_login(operator)
    launch(client, "launch_sync", entity, year=2026, month="2")
    response = launch(client, "launch_sync", entity, year=2026, month="2")
    html = response.content.decode()
    assert levels(response) == ["warning"]
    assert "is already queued" in html and "queued 0" not in html
    assert response.redirect_chain[-1][0].startswith(ENTITIES)
    assert PipelineRun.objects.count() == 1
