"""Upgrading keeps blocked months blocked: the month-state record starts from the validation
errors already mirrored (the first error per month, in sheet order). Everything else fills
in as stages run (the nightly sync writes every month's state)."""

from django.db import migrations


def blocked_from_issues(apps, schema_editor):
    issue_model = apps.get_model("pipeline_ops", "ValidationIssue")
    state_model = apps.get_model("pipeline_ops", "MonthState")
    found: dict[tuple, list] = {}
    errors = issue_model.objects.filter(severity="error").order_by("month", "id")
    for issue in errors.iterator():
        for month in [issue.month] if issue.month else range(1, 13):
            found.setdefault((issue.entity_id, issue.year, month), []).append(issue)
    for (entity_id, year, month), issues in found.items():
        first = issues[0]
        state_model.objects.update_or_create(
            entity_id=entity_id, year=year, month=month,
            defaults={
                "blocked_errors": len(issues), "blocked_cell": first.cell,
                "blocked_issue": f"{first.cell} {first.rule}: {first.message}",
                "blocked_run_id": first.run_id, "has_data": True,
            },
        )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("pipeline_ops", "0010_month_state")]
    operations = [migrations.RunPython(blocked_from_issues, migrations.RunPython.noop)]
