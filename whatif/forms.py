"""The what-if forms: a draft of a policy or a calendar, typed the way a manager writes it, and
the days of past threads to replay under it. They build a `whatif.draft.Draft`; nothing saves."""

import re
import zoneinfo
from datetime import date, datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError

from policies.hours import hours_text, parse_hours
from policies.models import Calendar, SlaPolicy, WarningThreshold, Weekday
from policies.selectors import weekly_hours
from policies.services import TargetRow, ThresholdRow, policy_problems
from slaops.fields import validate_sane_year
from slaops.formatting import format_duration, parse_duration
from whatif.draft import Draft, thresholds_text

_PERCENT = re.compile(r"^(\d+)\s*%(\s*(of the target)?(\s*used)?)?$", re.IGNORECASE)
_BEFORE = re.compile(r"\s*(before( due)?)$", re.IGNORECASE)
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(.*)$")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def parse_thresholds(text: str) -> list[tuple[str, int]]:
    """ "75%, 90%, 15m before due" -> [("percent_used", 75), ...]; "none" or empty = no warnings."""
    found = []
    for item in re.split(r"[,;\n]", text or ""):
        item = item.strip()
        if not item or item.lower() == "none":
            continue
        percent = _PERCENT.match(item)
        if percent:
            value = int(percent.group(1))
            if not 1 <= value <= 99:
                raise ValidationError(f"“{item}”: a percentage warning must be between 1 and 99.")
            found.append((WarningThreshold.Kind.PERCENT_USED.value, value))
            continue
        try:
            before = parse_duration(_BEFORE.sub("", item))
        except ValueError:
            raise ValidationError(
                f"“{item}” is not a warning: write a share of the target (75%) or a time before "
                "the due time (15m before due)."
            ) from None
        minutes = int(before.total_seconds() // 60)
        if minutes < 1:
            raise ValidationError(f"“{item}”: warn at least 1 minute before the due time.")
        found.append((WarningThreshold.Kind.MINUTES_BEFORE.value, minutes))
    if len(set(found)) != len(found):
        raise ValidationError("The same warning is listed twice: keep one of them.")
    return sorted(found)


def parse_dates(text: str) -> dict[date, str]:
    """One date per line (or comma separated), optionally followed by a name."""
    found: dict[date, str] = {}
    for item in re.split(r"[,;\n]", text or ""):
        item = item.strip()
        if not item:
            continue
        match = _DATE.match(item)
        try:
            day = date.fromisoformat(match.group(1)) if match else None
        except ValueError:
            day = None
        if day is None:
            raise ValidationError(f"“{item}” is not a date: write it as 2026-12-24.")
        found[day] = match.group(2).strip()[:120]
    return found


class WhatIfForm(forms.Form):
    """The days of past threads to replay; the subclasses add the draft's fields."""

    since = forms.DateField(
        label="Threads opened from", widget=DATE_INPUT, validators=[validate_sane_year]
    )
    until = forms.DateField(
        label="to (inclusive)",
        widget=DATE_INPUT,
        validators=[validate_sane_year],
        help_text="Past threads opened on these days are replayed with everything that happened "
        "to them since, up to now.",
    )

    def __init__(self, *args, zone: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["since"].help_text = f"Days are read in your time zone ({zone})."

    def today(self) -> date:
        from django.utils import timezone

        return timezone.now().astimezone(zoneinfo.ZoneInfo(self.zone)).date()

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if until and until > self.today():
            self.add_error("until", "A what-if replays past threads: pick a day up to today.")
        elif since and until and since > until:
            self.add_error("since", "The first day must not be after the last.")
        return data

    def window(self) -> tuple[datetime, datetime]:
        """[first day 00:00, day after the last 00:00) in the manager's zone."""
        zone = zoneinfo.ZoneInfo(self.zone)
        since, until = self.cleaned_data["since"], self.cleaned_data["until"]
        return (
            datetime.combine(since, time(0), tzinfo=zone),
            datetime.combine(until + timedelta(days=1), time(0), tzinfo=zone),
        )

    @classmethod
    def default_days(cls, today: date) -> dict:
        return {"since": today - timedelta(days=30), "until": today}


class PolicyDraftForm(WhatIfForm):
    """A draft of one policy: its targets' durations and its warnings."""

    def __init__(self, *args, policy: SlaPolicy, draft: Draft | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy = policy
        self.targets = list(policy.targets.all())
        for target in self.targets:
            who = target.get_priority_display() if target.priority else "any priority"
            duration = draft.targets.get(target.pk, target.duration) if draft else target.duration
            self.fields[f"target_{target.pk}"] = forms.CharField(
                label=f"{target.get_metric_display()} ({who})",
                initial=format_duration(duration),
                help_text=f"Now {format_duration(target.duration)}. Business time: 45m, 4h, "
                "12h 30m.",
            )
        current = sorted((t.kind, t.value) for t in policy.thresholds.all())
        wanted = draft.thresholds if draft and draft.thresholds is not None else current
        self.fields["warnings"] = forms.CharField(
            required=False,
            initial=thresholds_text(wanted) if wanted else "",
            help_text=f"Now: {thresholds_text(current)}. A share of the target (75%) or a time "
            "before the due time (15m before due), separated by commas; empty = no warnings.",
        )

    def clean(self):
        data = super().clean()
        durations = {}
        for target in self.targets:
            name = f"target_{target.pk}"
            if name not in data:
                continue
            try:
                duration = parse_duration(data[name])
            except ValueError as error:
                self.add_error(name, str(error))
                continue
            if duration <= timedelta():
                self.add_error(name, "A target must be longer than zero.")
                continue
            durations[target.pk] = duration
        try:
            thresholds = parse_thresholds(data.get("warnings", ""))
        except ValidationError as error:
            self.add_error("warnings", error)
            return data
        if len(durations) == len(self.targets):
            problems = policy_problems(
                targets=[
                    TargetRow(metric=t.metric, priority=t.priority, duration=durations[t.pk])
                    for t in self.targets
                ],
                thresholds=[ThresholdRow(kind=k, value=v) for k, v in thresholds],
            )
            for problem in problems:
                self.add_error("warnings", problem)
        data["durations"], data["thresholds"] = durations, thresholds
        return data

    def draft(self) -> Draft:
        return Draft(
            policy_id=self.policy.pk,
            targets=self.cleaned_data["durations"],
            thresholds=self.cleaned_data["thresholds"],
        )


class CalendarDraftForm(WhatIfForm):
    """A draft of one calendar: the hours of each weekday and holidays added or removed."""

    holidays_add = forms.CharField(
        label="Add holidays",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
        help_text="One per line, optionally with a name: 2026-12-24 Christmas Eve.",
    )
    holidays_remove = forms.CharField(
        label="Remove holidays",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
        help_text="Dates now in the calendar that should be working days again.",
    )

    def __init__(self, *args, calendar: Calendar, draft: Draft | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.calendar = calendar
        self.weekly = weekly_hours(calendar)
        fields = {}
        for day in Weekday:
            spans = draft.weekly.get(day.value, []) if draft and draft.weekly else None
            fields[f"hours_{day.value}"] = forms.CharField(
                label=day.label,
                required=False,
                initial=hours_text(spans if spans is not None else self.weekly[day.value]),
                help_text=f"Now {hours_text(self.weekly[day.value])}.",
            )
        # The range, then the weekdays, then the holidays.
        holidays = {name: self.fields.pop(name) for name in ("holidays_add", "holidays_remove")}
        self.fields.update(fields)
        self.fields.update(holidays)
        upcoming = calendar.holidays.filter(date__gte=self.today()).order_by("date")[:5]
        if upcoming:
            self.fields["holidays_remove"].help_text += " Next ones: " + ", ".join(
                f"{h.date:%Y-%m-%d}" for h in upcoming
            )
        if draft:
            self.initial.setdefault(
                "holidays_add",
                "\n".join(f"{d} {n}".strip() for d, n in sorted(draft.holidays_added.items())),
            )
            self.initial.setdefault(
                "holidays_remove", "\n".join(str(d) for d in sorted(draft.holidays_removed))
            )

    def clean(self):
        data = super().clean()
        weekly = {}
        for day in Weekday:
            name = f"hours_{day.value}"
            try:
                weekly[day.value] = parse_hours(data.get(name, ""))
            except ValidationError as error:
                self.add_error(name, error)
        if weekly and not any(weekly.values()) and len(weekly) == 7:
            self.add_error("hours_0", "A calendar needs open hours on at least one day.")
        holidays = set(self.calendar.holidays.values_list("date", flat=True))
        try:
            added = parse_dates(data.get("holidays_add", ""))
            already = sorted(d for d in added if d in holidays)
            if already:
                raise ValidationError(
                    f"{', '.join(map(str, already))}: already a holiday of this calendar."
                )
        except ValidationError as error:
            self.add_error("holidays_add", error)
            added = {}
        try:
            removed = sorted(parse_dates(data.get("holidays_remove", "")))
            unknown = [d for d in removed if d not in holidays]
            if unknown:
                raise ValidationError(
                    f"{', '.join(map(str, unknown))}: not a holiday of this calendar."
                )
        except ValidationError as error:
            self.add_error("holidays_remove", error)
            removed = []
        data["weekly"], data["added"], data["removed"] = weekly, added, removed
        return data

    def draft(self) -> Draft:
        return Draft(
            calendar_id=self.calendar.pk,
            weekly=self.cleaned_data["weekly"],
            holidays_added=self.cleaned_data["added"],
            holidays_removed=self.cleaned_data["removed"],
        )
