"""A reply's delivery state in the API (the `delivery` of a message) and the body of "try
again"; the state comes from the reply channels (threads/replies/), read for a whole page of
messages at once."""

from django.db.models import Manager
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from threads.api.fields import StrictSerializer, UTCDateTimeField
from threads.replies import registry
from threads.replies.channel import STATES

NOT_READ = object()


class DeliverySerializer(serializers.Serializer):
    """Output only: a reply's delivery as the channels report it."""

    state = serializers.ChoiceField(choices=STATES, read_only=True)
    channel = serializers.CharField(read_only=True, help_text='The channel: "email", "slack", …')
    at = UTCDateTimeField(read_only=True, help_text="When the reply reached this state.")
    next_attempt_at = UTCDateTimeField(
        read_only=True, allow_null=True, help_text="Retrying: the next try."
    )
    external_id = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="Sent: its id in the channel (Message-ID, Slack ts).",
    )
    url = serializers.CharField(read_only=True, allow_null=True, help_text="Sent: a link to it.")
    detail = serializers.CharField(
        read_only=True, help_text="Where it went, or why not, in plain words."
    )


@extend_schema_field(
    DeliverySerializer(
        allow_null=True,
        help_text="How far a public reply got to the customer; null for messages not sent.",
    )
)
class DeliveryField(serializers.Field):
    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, message):
        delivery = getattr(message, "reply_delivery", NOT_READ)
        if delivery is NOT_READ:
            delivery = registry.delivery_of(message)
        return None if delivery is None else DeliverySerializer(delivery.as_dict()).data


class MessageListSerializer(serializers.ListSerializer):
    """A page of messages reads its replies' delivery states in one query per channel."""

    def to_representation(self, data):
        messages = list(data.all() if isinstance(data, Manager) else data)
        found = registry.deliveries(messages)
        for message in messages:
            message.reply_delivery = found.get(message.pk)
        return super().to_representation(messages)


class RetrySerializer(StrictSerializer):
    """Try again takes no fields: an empty body (or none)."""
