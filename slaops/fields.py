"""Model and form fields for the values managers type most: time zones and durations, and
https addresses."""

import zoneinfo
from datetime import timedelta
from functools import cache

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
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
    """Every zone name this server knows, old aliases included (saved values stay valid)."""
    return sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


def _tzdata(name: str) -> str:
    from importlib.resources import files

    return files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")


@cache
def canonical_zones() -> list[str]:
    """The zones a person picks from: one or more per country (the tz database's zone.tab and
    zone1970.tab) and UTC, without the old aliases such as W-SU, Zulu or US/Eastern."""
    names = {"UTC"}
    for table in ("zone.tab", "zone1970.tab"):
        for line in _tzdata(table).splitlines():
            if line and not line.startswith("#"):
                names.add(line.split("\t")[2])
    return sorted(names & set(time_zone_names()))


@cache
def zone_aliases() -> dict[str, str]:
    """Old name → the zone it stands for ("W-SU" → "Europe/Moscow"), from the database's links."""
    links = {}
    for line in _tzdata("tzdata.zi").splitlines():
        if line.startswith("L "):
            _, target, alias = line.split()
            links[alias] = target
    canonical = set(canonical_zones())
    # A link may point at a zone that is itself merged into another: follow it to one we list.
    for alias, target in list(links.items()):
        seen = 0
        while target not in canonical and target in links and seen < 5:
            target, seen = links[target], seen + 1
        links[alias] = "UTC" if target == "Etc/UTC" else target
    return links


def zone_label(name: str) -> str:
    """ "Europe/Berlin · UTC+01:00" (the offset today), as the picker lists it."""
    from datetime import datetime

    offset = datetime.now(zoneinfo.ZoneInfo(name)).strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


def validate_time_zone(value: str) -> None:
    if value not in set(time_zone_names()):
        raise ValidationError(
            "'%(value)s' is not a known IANA time zone; pick one such as Europe/Berlin.",
            code="unknown_zone",
            params={"value": value},
        )


class TimeZoneInput(forms.TextInput):
    """The one time-zone picker: a text box that finds a zone by any part of its name as you
    type (an HTML datalist of the canonical zones, each with its offset today)."""

    template_name = "slaops/widgets/time_zone.html"

    def __init__(self, attrs=None):
        super().__init__(
            {
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "Type a city, e.g. Berlin",
                "class": "zone-picker",
                **(attrs or {}),
            }
        )

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget["list_id"] = f"{widget['attrs'].get('id') or name}-zones"
        widget["attrs"]["list"] = widget["list_id"]
        context["zones"] = [(zone, zone_label(zone)) for zone in canonical_zones()]
        return context


class TimeZoneFormField(forms.CharField):
    """A zone typed in the picker: a canonical name; an old alias is answered with its
    current name ("W-SU" → "use Europe/Moscow")."""

    widget = TimeZoneInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.pop("widget", None)  # the admin passes its own text box; this is the picker
        super().__init__(*args, widget=TimeZoneInput, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value in self.empty_values or value in set(canonical_zones()):
            return
        alias = zone_aliases().get(value)
        if alias:
            raise ValidationError(
                "“%(value)s” is an old name of a time zone; pick %(alias)s.",
                code="alias_zone",
                params={"value": value, "alias": alias},
            )
        validate_time_zone(value)
        raise ValidationError(
            "Pick the time zone from the list (a city such as Europe/Berlin).", code="not_listed"
        )


class TimeZoneField(models.CharField):
    """An IANA time zone name, validated against the zone database this server ships."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(*args, **kwargs)
        self.validators.append(validate_time_zone)

    def formfield(self, **kwargs):
        return super().formfield(**{**kwargs, "form_class": TimeZoneFormField})


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


class HttpsURLField(models.URLField):
    """An https address (http and other schemes are refused); typed without a scheme, https is
    assumed."""

    default_validators = [URLValidator(schemes=["https"])]

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https"} | kwargs)
