"""Model and form fields for the two values managers type most: time zones and durations."""

import zoneinfo
from datetime import timedelta
from functools import cache

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from slaops.formatting import format_duration, parse_duration

# The years SLA Ops reasons about: times outside them are refused where they are typed (pages
# and API), before any calendar arithmetic could overflow.
SANE_YEARS = range(2000, 2101)


def validate_sane_year(value) -> None:
    if value.year not in SANE_YEARS:
        raise ValidationError(
            f"Give a date between the years {SANE_YEARS[0]} and {SANE_YEARS[-1]}.", code="year"
        )


@cache
def time_zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


def validate_time_zone(value: str) -> None:
    if value not in set(time_zone_names()):
        raise ValidationError(
            "'%(value)s' is not a known IANA time zone; pick one such as Europe/Berlin.",
            code="unknown_zone",
            params={"value": value},
        )


class TimeZoneInput(forms.TextInput):
    """A text box that suggests IANA zone names as you type (an HTML datalist)."""

    template_name = "slaops/widgets/time_zone.html"

    def __init__(self, attrs=None):
        super().__init__({"list": "iana-time-zones", "autocomplete": "off", **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["zones"] = time_zone_names()
        return context


class TimeZoneField(models.CharField):
    """An IANA time zone name, validated against the zone database this server ships."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(*args, **kwargs)
        self.validators.append(validate_time_zone)

    def formfield(self, **kwargs):
        # The admin passes its own text widget; ours adds the list of zones to pick from.
        kwargs["widget"] = TimeZoneInput
        return super().formfield(**kwargs)


class BusinessDurationFormField(forms.CharField):
    default_error_messages = {"positive": "The duration must be longer than zero."}

    def prepare_value(self, value):
        return format_duration(value) if isinstance(value, timedelta) else value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            duration = parse_duration(value)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid") from None
        if duration <= timedelta():
            raise ValidationError(self.error_messages["positive"], code="positive")
        return duration


def validate_positive_duration(value: timedelta) -> None:
    if value is not None and value <= timedelta():
        raise ValidationError("The duration must be longer than zero.", code="positive")


class BusinessDurationField(models.DurationField):
    """A positive duration of business time, typed and shown as "45m", "4h" or "12h 30m"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.validators.append(validate_positive_duration)

    def formfield(self, **kwargs):
        return super(models.DurationField, self).formfield(
            **{"form_class": BusinessDurationFormField, **kwargs}
        )
