"""Business-hours calendars: weekly opening hours, holidays and special days."""

from datetime import time

from django.core.exceptions import ValidationError
from django.db import models

from policies.configuration import ConfigurationModel
from slaops.fields import TimeZoneField


class Calendar(ConfigurationModel):
    """Business hours: when SLA clocks run. A calendar open 00:00–00:00 every day is 24/7."""

    name = models.CharField(max_length=120, unique=True)
    time_zone = TimeZoneField(
        default="UTC", help_text="Opening hours and holidays are read in this zone."
    )
    description = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.time_zone})"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


def interval_minutes(opens: time, closes: time) -> tuple[int, int]:
    """Minutes from the start of the day; a close not after the open runs past midnight."""
    start = opens.hour * 60 + opens.minute
    end = closes.hour * 60 + closes.minute
    return start, end if end > start else end + 24 * 60


def overlapping(intervals: list[tuple[time, time]]) -> tuple[tuple[time, time], ...] | None:
    """The first two intervals of one day that overlap, or None."""
    spans = sorted((interval_minutes(o, c), (o, c)) for o, c in intervals)
    for (first, first_raw), (second, second_raw) in zip(spans, spans[1:], strict=False):
        if second[0] < first[1]:
            return first_raw, second_raw
    return None


def describe_interval(opens: time, closes: time) -> str:
    if opens == closes == time(0):
        return "all day"
    suffix = " (next day)" if closes <= opens and closes != time(0) else ""
    return f"{opens:%H:%M}–{closes:%H:%M}{suffix}"


class OpeningHours(ConfigurationModel):
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.IntegerField(choices=Weekday.choices)
    opens = models.TimeField(help_text="Local time in the calendar's zone.")
    closes = models.TimeField(
        help_text="A closing time not after the opening runs past midnight and counts for the "
        "opening day (22:00–06:00). 00:00–00:00 is the whole day."
    )

    class Meta:
        ordering = ["calendar", "weekday", "opens"]
        verbose_name = "opening hours"
        verbose_name_plural = "opening hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {describe_interval(self.opens, self.closes)}"


class Holiday(ConfigurationModel):
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(help_text="Hours that start on this date are closed.")
    name = models.CharField(max_length=120, blank=True)
    source = models.CharField(
        max_length=40,
        blank=True,
        help_text="Where it came from, e.g. “holidays:DE-BY”; empty for dates added by hand.",
    )

    class Meta:
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="one_holiday_per_date")
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


class SpecialDay(ConfigurationModel):
    """A dated exception: that day's hours replace the weekly ones (no hours = closed)."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="special_days")
    date = models.DateField()
    name = models.CharField(max_length=120, blank=True)
    opens = models.TimeField(null=True, blank=True, help_text="Leave both times empty: closed.")
    closes = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["calendar", "date", "opens"]

    def __str__(self) -> str:
        hours = "closed" if self.opens is None else describe_interval(self.opens, self.closes)
        return f"{self.date:%Y-%m-%d} {hours}"

    def clean(self):
        if (self.opens is None) != (self.closes is None):
            raise ValidationError(
                {"closes": "Give both an opening and a closing time, or neither for a closed day."}
            )
