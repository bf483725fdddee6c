from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from .pipeline.period import REPORT_TYPES, MonthRange, PeriodError


class LaunchForm(forms.Form):
    """What an admin action asks before it queues work: the same rules as the flags."""

    year = forms.IntegerField(min_value=2000, max_value=2100)
    month = forms.CharField(
        required=False, help_text="2, or a range like 1-3; blank = the whole year (sync only)"
    )
    report_type = forms.ChoiceField(choices=[(t, t) for t in REPORT_TYPES], initial="monthly")

    def __init__(self, *args, needs_month: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.needs_month = needs_month
        self.fields["year"].initial = timezone.localdate().year
        if needs_month:
            self.fields["month"].required = True

    def clean_month(self) -> MonthRange | None:
        value = self.cleaned_data.get("month", "").strip()
        if not value:
            return None
        try:
            return MonthRange.parse(value)
        except PeriodError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self) -> dict:
        data = super().clean()
        months = data.get("month")
        if data.get("report_type") == "quarterly" and months and months.start == months.end:
            self.add_error("month", "a quarterly report needs a month range, e.g. 1-3")
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
