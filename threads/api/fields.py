"""Field types every API serializer shares: times in UTC with a required offset and a sane year,
strings that are strings, and the documented shape of an error."""

import copy
import re
from datetime import UTC, timedelta

from django.db import models
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers

from slaops.fields import SANE_YEARS
from slaops.ids import parse_id

# A "+" in a query string arrives as a space: "…T09:00:00 01:00" means "…T09:00:00+01:00".
_SPACED_OFFSET = re.compile(r"^(.*\d)\s(\d{2}(?::?\d{2})?)$")

# The years a time given to the API may fall in. Support threads live in this century; the
# bounds keep every later step (clock deadlines, business-time arithmetic, the database's own
# range) far from datetime's year 1 and 9999, where adding or subtracting an hour overflows.


class UTCDateTimeField(serializers.DateTimeField):
    """ISO 8601 out in UTC ("…Z"); in, the UTC offset is required because a naive time is
    ambiguous for an integrator in another zone."""

    default_error_messages = {
        "naive": "Give the time with its UTC offset, e.g. 2026-11-27T16:30:00+01:00 or …Z.",
        "year": f"Give a time between the years {SANE_YEARS[0]} and {SANE_YEARS[-1]}.",
    }

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str):
            value = _SPACED_OFFSET.sub(r"\1+\2", value.strip())
        value = super().to_internal_value(value)
        if value.year not in SANE_YEARS:
            self.fail("year")
        return value

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        try:
            return value.astimezone(UTC)
        except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before datetime.min in UTC
            self.fail("year")


class TextField(serializers.CharField):
    """A string: a number or a list is refused rather than quietly turned into text. Like every
    DRF CharField it refuses NUL (PostgreSQL cannot store it) and lone surrogates; give it the
    column's max_length (tests/test_api_limits.py holds every serializer to its columns)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


ONE_LINE = "One line only: no line breaks or control characters."


def one_line(value: str) -> str:
    """Refuse line breaks and other control characters in text that ends up in e-mail headers
    and one-line displays (subjects, names)."""
    if any(ord(c) < 32 or 127 <= ord(c) < 160 or c in "\u2028\u2029" for c in value):
        raise serializers.ValidationError(ONE_LINE)
    return value


class LineField(TextField):
    """One line of text (a subject, a name)."""

    def to_internal_value(self, data):
        return one_line(super().to_internal_value(data))


class IdField(serializers.PrimaryKeyRelatedField):
    """An object's id: a whole number (or its ASCII digits as a string). A float (1.5, 1e400), a
    boolean, "²" or a number beyond any id is refused as such, never rounded or passed on."""

    default_error_messages = {
        "incorrect_type": "Give the object's id as a whole number.",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        pk = parse_id(data)
        if pk is None:
            if isinstance(data, str):
                self.fail("incorrect_type", data_type="str")
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(pk)


TEAM_NAME_OR_ID = {
    "oneOf": [
        {"type": "integer", "description": "The team's id."},
        {"type": "string", "description": "The team's exact name."},
    ],
    "nullable": True,
}


@extend_schema_field(TEAM_NAME_OR_ID)
class TeamField(IdField):
    """A team by its id (a JSON number) or by its exact name (a JSON string); null for no team.
    A string no team is named that spells an id in ASCII digits is read as the id, as the API
    always did (a form-encoded body has only strings); an empty string is no name (relational
    fields elsewhere read it as null)."""

    default_error_messages = {
        "incorrect_type": "Give the team's id (a whole number) or its exact name (a string).",
        "no_such_name": "No team is named “{name}”: give a team's id or its exact name.",
        "blank": "Give the team's id or its exact name, or null for no team.",
        "does_not_exist": "No team has the id {pk_value}: give a team's id or its exact name.",
    }

    def run_validation(self, data=serializers.empty):
        if data == "":
            self.fail("blank")
        return super().run_validation(data)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            return super().to_internal_value(data)
        limit = self.get_queryset().model._meta.get_field("name").max_length
        team = self.get_queryset().filter(name=data).first() if len(data) <= limit else None
        if team is not None:
            return team
        if parse_id(data) is not None:
            return super().to_internal_value(data)
        self.fail("no_such_name", name=data[:limit])


class StrictInput:
    """A body may hold only the fields the endpoint writes: a misspelt or read-only field is
    refused by name ("priorty": Unknown field…) together with any other fault, rather than
    ignored while the rest applies. Put first in the bases of every serializer that reads a
    body."""

    UNKNOWN = "Unknown field: this endpoint accepts {accepted}."
    READ_ONLY = "Read-only: it cannot be set."

    def to_internal_value(self, data):
        refused = self._refused_fields(data)
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if refused and isinstance(error.detail, dict):
                error.detail.update(refused)
            raise
        if refused:
            raise serializers.ValidationError(refused)
        return value

    def _refused_fields(self, data) -> dict[str, list[str]]:
        if not hasattr(data, "keys"):
            return {}  # not an object: the serializer says so itself
        writable = [name for name, field in self.fields.items() if not field.read_only]
        accepted = ", ".join(writable) or "no fields"
        refused = {}
        for name in data:
            if name in writable:
                continue
            field = self.fields.get(name)
            refused[str(name)] = [
                self.READ_ONLY if field is not None else self.UNKNOWN.format(accepted=accepted)
            ]
        return refused


class StrictSerializer(StrictInput, serializers.Serializer):
    """A request body of exactly the declared fields."""


class ApiModelSerializer(StrictInput, serializers.ModelSerializer):
    serializer_related_field = IdField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UTCDateTimeField,
        models.CharField: TextField,
        models.TextField: TextField,
    }

    def get_fields(self):
        """ModelSerializer works its fields out from the model for every serializer it builds
        (a third of a message's rendering); they depend only on the class, so work them out
        once per class and hand each serializer fresh copies, as DRF does with declared
        fields."""
        cls = type(self)
        built = cls.__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            cls._built_fields = built
        return copy.deepcopy(built)


def whole_seconds(value: timedelta) -> int:
    return int(value.total_seconds())


class ErrorSerializer(serializers.Serializer):
    """What every API error looks like."""

    # slaops/api_errors.py gives every error this shape.

    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Each request field at fault with its broken rules (a rule inside a list "
        'names the item, "Item 2: …"); "non_field_errors" for the request as a whole; empty '
        "when no field is at fault (401, 403, 404, 413, 429…).",
    )
    detail = serializers.CharField(help_text="The error in one sentence.")
    request_id = serializers.CharField(
        required=False,
        help_text="The request's id, as in the X-Request-ID header: quote it to the operators.",
    )


BAD_INPUT = OpenApiResponse(ErrorSerializer, description="A field breaks a rule; see errors.")
