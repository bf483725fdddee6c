from __future__ import annotations

from django import forms
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
