from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from pipeline_ops.pipeline.period import (
    MAX_YEAR,
    MIN_YEAR,
    MONTH_ABBREVIATIONS,
    UNITS,
    MonthRange,
    PeriodError,
    report_type_for,
)
from pipeline_ops.pipeline.registry import Stage

MONTHS = [("", "—"), *((str(i), f"{i} {name}") for i, name in enumerate(MONTH_ABBREVIATIONS, 1))]
REPORT_KINDS = {
    "monthly": "Monthly: one month",
    "quarterly": "Quarterly: 1-3, 4-6, 7-9 or 10-12",
    "range": "Range: several months that are not a quarter",
    "yearly": "Yearly: the whole year (leave the months blank)",
}


def _month_field(label: str, help_text: str = "") -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, choices=MONTHS, coerce=int, empty_value=None, required=False,
        help_text=help_text,
    )  # fmt: skip


class LaunchForm(forms.Form):
    """What a launch action asks before it queues work, built from the stage's registry row:
    a month is required when the stage needs one, a report type only where the stage takes
    one (and never yearly for a stage that needs a month). The same rules as the flags."""

    year = forms.IntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR)
    month = _month_field("Month")
    month_end = _month_field("to", "Blank for one month.")
    report_type = forms.ChoiceField(choices=list(REPORT_KINDS.items()), initial="monthly")
    unit = forms.ChoiceField(
        choices=[("", "Whole entity"), *((unit, unit) for unit in UNITS)], required=False,
        help_text="Blank for the whole entity; a unit's report has files ending in -TM or -DR.",
    )  # fmt: skip

    def __init__(self, *args, stage: Stage, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stage = stage
        self.fields["year"].initial = timezone.localdate().year
        reports = "report_type" in stage.run_options
        self.fields["month"].required = stage.needs_month
        if not stage.needs_month:
            blank = "a yearly report (choose Yearly below)" if reports else "the whole year"
            self.fields["month"].help_text = f"Blank for {blank}."
        if "unit" not in stage.run_options:  # report, format and present only
            del self.fields["unit"]
        if not reports:
            del self.fields["report_type"]
        elif stage.needs_month:  # a yearly report has no month
            kinds = [(kind, label) for kind, label in REPORT_KINDS.items() if kind != "yearly"]
            self.fields["report_type"].choices = kinds

    def fieldsets(self) -> list[tuple[None, dict]]:
        """The admin's layout: both month pickers on one line, each with its own errors."""
        rest = [name for name in self.fields if name not in ("year", "month", "month_end")]
        return [(None, {"fields": ["year", ("month", "month_end"), *rest]})]

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("month"), data.get("month_end")
        if end is not None and start is None:
            self.add_error("month", "Choose the first month too, or clear “to”.")
        elif start is not None and end is not None and end < start:
            self.add_error("month_end", f"“to” ({end}) is before the first month ({start}).")
        months = MonthRange(start, end or start) if start is not None else None
        data["months"] = months
        if "report_type" in self.fields and "report_type" in data and not self.errors:
            try:
                data["report_type"] = report_type_for(data["report_type"], months)
            except PeriodError as exc:
                self.add_error("month", str(exc))
        return data


class UploadForm(forms.Form):
    """A workbook offered for an entity-year (docs/intake.md). `refused` names a file the
    upload handler stopped reading because it passed WORKBOOK_MAX_BYTES."""

    year = forms.IntegerField(min_value=2000, max_value=2100)
    file = forms.FileField(
        label="Workbook (.xlsx)", widget=forms.FileInput(attrs={"accept": ".xlsx"})
    )

    def __init__(self, *args, max_bytes: int, refused: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_bytes, self.refused = max_bytes, refused
        self.fields["year"].initial = timezone.localdate().year
        self.fields["file"].help_text = f"At most {filesizeformat(max_bytes)}."
        self.fields["file"].required = not refused  # a refused file is reported below

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if self.refused or (upload and upload.size > self.max_bytes):
            name = self.refused or upload.name
            raise forms.ValidationError(
                f"{name} is larger than {filesizeformat(self.max_bytes)}, the most a workbook"
                " may be (WORKBOOK_MAX_BYTES)."
            )
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(
                f"{upload.name} is not an .xlsx workbook: save it from Excel as"
                " “Excel Workbook (.xlsx)” and upload that."
            )
        return upload


class DecisionForm(forms.Form):
    """Accept / reject / restore on a version's preview page."""

    decision = forms.ChoiceField(choices=[(d, d) for d in ("accept", "reject", "restore")])
    with_errors = forms.BooleanField(required=False, label="Accept with errors")
    queue_sync = forms.BooleanField(
        required=False, initial=True, label="Queue a sync of the changed months"
    )
