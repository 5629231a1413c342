"""The calendar's admin forms: the week's hours one line per day (the what-if page's editor),
special days, and public holidays picked by country and region name."""

from functools import cache

from django import forms
from django.core.exceptions import ValidationError

from policies.hours import hours_text, parse_hours
from policies.models import Calendar, Weekday, describe_interval, overlapping
from policies.selectors import weekly_hours

# A new calendar's week until the manager changes it: office hours, Monday to Friday.
OFFICE_WEEK = {day: "09:00–17:00" if day < 5 else "closed" for day in range(7)}


def day_hours(day: Weekday) -> forms.CharField:
    return forms.CharField(
        label=day.label,
        required=False,
        widget=forms.TextInput(attrs={"class": "week-hours", "size": 28}),
    )


class CalendarForm(forms.ModelForm):
    """A calendar with its weekly hours as seven lines, "09:00–12:00, 13:00–17:00" or "closed";
    `cleaned_data["weekly"]` is {weekday: [(opens, closes)]} for policies.services."""

    hours_0 = day_hours(Weekday.MONDAY)
    hours_1 = day_hours(Weekday.TUESDAY)
    hours_2 = day_hours(Weekday.WEDNESDAY)
    hours_3 = day_hours(Weekday.THURSDAY)
    hours_4 = day_hours(Weekday.FRIDAY)
    hours_5 = day_hours(Weekday.SATURDAY)
    hours_6 = day_hours(Weekday.SUNDAY)

    class Meta:
        model = Calendar
        fields = ["name", "time_zone", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 60})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = weekly_hours(self.instance) if self.instance.pk else None
        for day in Weekday:
            self.fields[f"hours_{day.value}"].initial = (
                hours_text(current[day.value]) if current else OFFICE_WEEK[day.value]
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
        if len(weekly) == 7 and not any(weekly.values()):
            self.add_error("hours_0", "A calendar needs open hours on at least one day.")
        data["weekly"] = weekly
        return data


class DayIntervalsFormSet(forms.BaseInlineFormSet):
    """Opening hours or special days: no two intervals of the same day may overlap."""

    day_field = "weekday"

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        by_day: dict = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("DELETE") or data.get("opens") is None or data.get("closes") is None:
                continue
            by_day.setdefault(data[self.day_field], []).append((data["opens"], data["closes"]))
        for day, spans in by_day.items():
            clash = overlapping(spans)
            if clash:
                label = self.day_label(day)
                raise ValidationError(
                    f"{label}: {describe_interval(*clash[0])} and {describe_interval(*clash[1])} "
                    "overlap. Merge them into one interval."
                )

    def day_label(self, day):
        from policies.models import Weekday

        return Weekday(day).label


class SpecialDayFormSet(DayIntervalsFormSet):
    day_field = "date"

    def day_label(self, day):
        return f"{day:%a %d %b %Y}"


def _words(class_name: str) -> str:
    """ "BosniaAndHerzegovina" → "Bosnia and Herzegovina": the holidays package names its
    countries by class."""
    import re

    small = {"And", "Of", "The", "Da", "Du"}
    words = re.findall(r"[A-Z][a-z]*|[a-z]+|\d+", class_name)
    return " ".join(w.lower() if i and w in small else w for i, w in enumerate(words))


@cache
def holiday_countries() -> list[tuple[str, str]]:
    """The countries the holidays package knows, as (ISO code, name), sorted by name."""
    import holidays
    from holidays.registry import COUNTRIES

    supported = holidays.list_supported_countries()  # ISO alpha-2 codes and alpha-3 aliases
    names = {entry[1]: _words(entry[0]) for entry in COUNTRIES.values()}
    return sorted(((c, names[c]) for c in supported if c in names), key=lambda pair: pair[1])


@cache
def holiday_subdivisions() -> dict[str, list[tuple[str, str]]]:
    """Each country's subdivisions as ("DE-BY", "Bayern (BY)"), named from the package's aliases."""
    import holidays

    found = {}
    countries = dict(holiday_countries())
    for code, subdivisions in holidays.list_supported_countries().items():
        if not subdivisions or code not in countries:
            continue
        aliases = holidays.country_holidays(code).subdivisions_aliases
        named = {}
        for alias, sub in aliases.items():
            named.setdefault(sub, alias)
        found[code] = sorted(
            (
                (f"{code}-{sub}", f"{named[sub]} ({sub})" if sub in named else sub)
                for sub in subdivisions
            ),
            key=lambda pair: pair[1],
        )
    return found


class HolidayImportForm(forms.Form):
    country = forms.ChoiceField(
        help_text="Type the first letters to jump to it.",
        error_messages={"invalid_choice": "Pick a country from the list."},
    )
    subdivision = forms.ChoiceField(
        required=False,
        label="State or region",
        help_text="Only for holidays of one state or region, e.g. Bayern; empty = the country's "
        "national holidays.",
        error_messages={"invalid_choice": "Pick a state or region from the list."},
    )
    first_year = forms.IntegerField(min_value=1970, max_value=2100)
    last_year = forms.IntegerField(min_value=1970, max_value=2100)

    def clean(self):
        data = super().clean()
        first, last = data.get("first_year"), data.get("last_year")
        if first and last and last < first:
            raise ValidationError({"last_year": "The last year must not be before the first."})
        if first and last and last - first > 20:
            raise ValidationError({"last_year": "Import at most 20 years at a time."})
        country, subdivision = data.get("country"), data.get("subdivision") or ""
        if country and subdivision and not subdivision.startswith(f"{country}-"):
            name = dict(holiday_countries())[country]
            raise ValidationError({"subdivision": f"This state or region is not in {name}."})
        data["subdivision"] = subdivision.split("-", 1)[1] if subdivision else ""
        return data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = dict(holiday_countries())
        self.fields["country"].choices = [("", "— pick a country —"), *holiday_countries()]
        self.fields["subdivision"].choices = [
            ("", "The whole country"),
            *((names[code], subs) for code, subs in holiday_subdivisions().items()),
        ]
        # adminux.js shows only the chosen country's regions.
        self.fields["subdivision"].widget.attrs["data-follows"] = "id_country"
