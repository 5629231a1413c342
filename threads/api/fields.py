"""Field types every API serializer shares: times in UTC with a required offset, strings that
are strings, and the documented shape of a 400."""

import re
from datetime import UTC, timedelta

from django.db import models
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

# A "+" in a query string arrives as a space: "…T09:00:00 01:00" means "…T09:00:00+01:00".
_SPACED_OFFSET = re.compile(r"^(.*\d)\s(\d{2}(?::?\d{2})?)$")


class UTCDateTimeField(serializers.DateTimeField):
    """ISO 8601 out in UTC ("…Z"); in, the UTC offset is required because a naive time is
    ambiguous for an integrator in another zone."""

    default_error_messages = {
        "naive": "Give the time with its UTC offset, e.g. 2026-11-27T16:30:00+01:00 or …Z.",
    }

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str):
            value = _SPACED_OFFSET.sub(r"\1+\2", value.strip())
        return super().to_internal_value(value)

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return value.astimezone(UTC)


class TextField(serializers.CharField):
    """A string: a number or a list is refused rather than quietly turned into text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ApiModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UTCDateTimeField,
        models.CharField: TextField,
        models.TextField: TextField,
    }


def whole_seconds(value: timedelta) -> int:
    return int(value.total_seconds())


class ErrorSerializer(serializers.Serializer):
    """What a 400 looks like: each field at fault with its broken rules, and a summary."""

    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    detail = serializers.CharField()


BAD_INPUT = OpenApiResponse(ErrorSerializer, description="A field breaks a rule; see errors.")
