"""The shapes of a clock's override and breach reason in the API (read-only)."""

from rest_framework import serializers

from threads.api.fields import UTCDateTimeField


class OverriddenSerializer(serializers.Serializer):
    by = serializers.CharField(read_only=True, allow_null=True, help_text="The username.")
    at = UTCDateTimeField(read_only=True)
    reason = serializers.CharField(read_only=True)
    exempt = serializers.BooleanField(read_only=True)


class BreachReasonShownSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    excused = serializers.BooleanField(read_only=True)
    note = serializers.CharField(read_only=True)
    confirmed = serializers.BooleanField(
        read_only=True, help_text="Given or confirmed by a manager."
    )
