"""The report's filters: a date range of at most two years, the zone its days are read in, the
breakdown and the trend's bucket; and, from the page's own links, the page of the breach review
and the table to download (not shown among the filters)."""

from django import forms

from policies.vocabulary import Metric
from slaops.fields import TimeZoneFormField, validate_sane_year
from threads.reports.exports import TABLES
from threads.reports.queries import DIMENSIONS


class ReportForm(forms.Form):
    start = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_sane_year]
    )
    end = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_sane_year]
    )
    zone = TimeZoneFormField(label="Time zone")  # the one picker of current zone names
    by = forms.ChoiceField(
        label="Break down by",
        choices=[(k, v[2]) for k, v in DIMENSIONS.items()],
        initial="policy",
    )
    per = forms.ChoiceField(label="Trend per", choices=[("day", "day"), ("week", "week")])
    metric = forms.ChoiceField(
        label="Metric (charts)", choices=[("", "all metrics"), *Metric.choices], required=False
    )
    page = forms.IntegerField(
        label="Breach review page", min_value=1, required=False, widget=forms.HiddenInput
    )
    csv = forms.ChoiceField(
        label="CSV table",
        choices=[("", "none"), *((t, t) for t in TABLES)],
        required=False,
        widget=forms.HiddenInput,
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end must not be before the start.")
            elif (end - start).days > 731:
                self.add_error("end", "Choose at most two years.")
        return data
