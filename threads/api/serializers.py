"""What the thread and message endpoints read and write."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from accounts.models import Account, Team, normalise_email
from policies.models import Tier
from policies.vocabulary import Channel, Metric, Priority, ThreadStatus
from slaops.ids import parse_id
from threads.api.clock_fields import ClockSerializer
from threads.api.delivery import DeliveryField, MessageListSerializer
from threads.api.fields import (
    ApiModelSerializer,
    IdField,
    LineField,
    StrictSerializer,
    TeamField,
    TextField,
    UTCDateTimeField,
)
from threads.models import ClockState, Message, SlaEvent, Thread

User = get_user_model()


class EventSerializer(ApiModelSerializer):
    metric = serializers.CharField(source="clock.metric", allow_null=True, read_only=True)
    actor = serializers.CharField(source="actor.username", allow_null=True, read_only=True)
    details = serializers.DictField(read_only=True)

    class Meta:
        model = SlaEvent
        fields = ["id", "kind", "at", "clock", "metric", "actor", "details"]
        read_only_fields = fields


class ThreadSerializer(ApiModelSerializer):
    contact_email = serializers.EmailField(source="contact.email", allow_null=True, read_only=True)
    assignee_username = serializers.CharField(
        source="assignee.username", allow_null=True, read_only=True
    )
    policy = serializers.CharField(source="policy.name", allow_null=True, read_only=True)
    clocks = ClockSerializer(many=True, read_only=True)

    class Meta:
        model = Thread
        fields = [
            "id",
            "subject",
            "status",
            "priority",
            "channel",
            "account",
            "contact",
            "contact_email",
            "tier",
            "team",
            "assignee",
            "assignee_username",
            "policy",
            "source",
            "external_id",
            "created_at",
            "updated_at",
            "clocks",
        ]
        read_only_fields = fields


class ThreadDetailSerializer(ThreadSerializer):
    events = EventSerializer(many=True, read_only=True)

    class Meta(ThreadSerializer.Meta):
        fields = [*ThreadSerializer.Meta.fields, "events"]
        read_only_fields = fields


LOOKUP_PAIR = "Give source and external_id together: a thread is found by the pair."


class ThreadFilterSerializer(serializers.Serializer):
    """Query parameters of the thread list. Clock filters (metric, state, due_before,
    due_after) all apply to one and the same clock. source and external_id go together: they
    find the thread an integration pushed (exact match), a list of at most one."""

    source = TextField(
        max_length=40,
        required=False,
        trim_whitespace=False,
        help_text="With external_id: the integration that pushed the thread (exact match). "
        "An integration key finds only threads of its own source.",
    )
    external_id = TextField(
        max_length=200,
        required=False,
        trim_whitespace=False,
        help_text="With source: the thread's id in that integration (exact match, "
        "case-sensitive). The list then holds that one thread, or none.",
    )

    status = serializers.ChoiceField(choices=ThreadStatus.choices, required=False)
    state = serializers.ChoiceField(
        choices=ClockState.choices, required=False, help_text="Has a clock in this state."
    )
    metric = serializers.ChoiceField(
        choices=Metric.choices, required=False, help_text="Has a clock of this metric."
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    tier = IdField(queryset=Tier.objects.all(), required=False)
    team = IdField(queryset=Team.objects.all(), required=False)
    assignee = TextField(required=False, help_text='A user id, or "none" for unassigned.')
    due_before = UTCDateTimeField(
        required=False, help_text="A running clock is due before this time (ISO 8601 + offset)."
    )
    due_after = UTCDateTimeField(
        required=False, help_text="A running clock is due at or after this time."
    )
    ordering = serializers.ChoiceField(
        choices=["-created_at", "next_due"],
        required=False,
        default="-created_at",
        help_text="next_due: earliest due running clock first, threads without one last.",
    )

    def validate(self, data):
        # A query string drops blank parameters before validation; a blank lookup key would
        # then list every thread, which an integrator could take for the one they meant.
        blank = {
            name: "Give a value: a blank key finds no thread."
            for name in ("source", "external_id")
            if name in self.initial_data and not self.initial_data[name].strip()
        }
        if blank:
            raise serializers.ValidationError(blank)
        for given, missing in (("source", "external_id"), ("external_id", "source")):
            if given in data and missing not in data:
                raise serializers.ValidationError({missing: LOOKUP_PAIR})
        return data

    def validate_assignee(self, value: str):
        if value.strip().lower() == "none":
            return None
        pk = parse_id(value)
        user = User.objects.filter(pk=pk).first() if pk is not None else None
        if user is None:
            raise serializers.ValidationError(
                f'"{value}" is not a user id; give a user id or "none".'
            )
        return user


class ThreadCreateSerializer(StrictSerializer):
    subject = LineField(max_length=300, required=False, allow_blank=True, default="")
    message = TextField(allow_blank=True, help_text="Body of the customer's first message.")
    contact_email = serializers.EmailField(
        max_length=254,
        required=False,
        help_text="Upserts the contact; the thread's account is the contact's, or the account "
        "whose email_domains has the email's domain.",
    )
    contact_name = LineField(max_length=200, required=False, allow_blank=True)
    account = IdField(queryset=Account.objects.all(), required=False, allow_null=True)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.EMAIL)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    team = TeamField(
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        help_text="The team's id (a number) or exact name (a string); null = no team. A new "
        "team is a handoff: the team's own clocks start.",
    )
    assignee = IdField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    source = TextField(max_length=40, default="api")
    external_id = TextField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="With source: the same pair again returns the existing thread (200).",
    )
    message_external_id = TextField(max_length=200, required=False, allow_blank=True, default="")
    needs_reply = serializers.BooleanField(
        default=True, help_text="False for a message that needs no answer: no response clock."
    )
    created_at = UTCDateTimeField(
        required=False, help_text="When the customer wrote (ISO 8601 with offset); default now."
    )

    def validate_contact_email(self, value: str) -> str:
        return normalise_email(value)


class ThreadChangeSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=ThreadStatus.choices, required=False)
    reason = TextField(
        max_length=500,
        required=False,
        allow_blank=True,
        help_text="Why (kept in the history with each change): required when the status "
        "pauses resolution time.",
    )
    subject = LineField(max_length=300, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    team = TeamField(
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        help_text="The team's id (a number) or exact name (a string); null = no team. A new "
        "team is a handoff: the team's own clocks start.",
    )
    assignee = IdField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )

    def validate(self, data):
        if "reason" in data and data.keys() == {"reason"}:
            raise serializers.ValidationError(
                {"reason": "A reason goes with a change: give the status or field it explains."}
            )
        return data


class NoReplyNeededSerializer(StrictSerializer):
    reason = TextField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why the message needs no answer (kept in the history).",
    )


class MessageSerializer(ApiModelSerializer):
    author = serializers.CharField(source="author_kind", read_only=True)
    author_username = serializers.CharField(
        source="author_user.username", allow_null=True, read_only=True
    )
    contact_email = serializers.EmailField(source="contact.email", allow_null=True, read_only=True)
    delivery = DeliveryField()

    class Meta:
        model = Message
        list_serializer_class = MessageListSerializer
        fields = [
            "id",
            "thread",
            "author",
            "author_username",
            "contact",
            "contact_email",
            "body",
            "public",
            "automatic",
            "needs_reply",
            "external_id",
            "created_at",
            "delivery",
        ]
        read_only_fields = fields


class MessageCreateSerializer(StrictSerializer):
    author = serializers.ChoiceField(
        choices=[Message.Author.CUSTOMER, Message.Author.AGENT],
        help_text="customer: may start a response clock; agent: a public reply answers it.",
    )
    body = TextField(required=False, allow_blank=True, default="")
    public = serializers.BooleanField(
        default=True, help_text="Agent only: false = an internal note (answers nothing)."
    )
    automatic = serializers.BooleanField(
        default=False, help_text="Auto-replies and bots never start or answer a clock."
    )
    needs_reply = serializers.BooleanField(
        default=True, help_text="Customer only: false for a “thanks!” that needs no answer."
    )
    contact_email = serializers.EmailField(
        max_length=254,
        required=False,
        help_text="Customer only: who wrote; default the thread's contact.",
    )
    external_id = TextField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="The same id again on this thread returns the existing message (200).",
    )
    created_at = UTCDateTimeField(
        required=False,
        help_text="ISO 8601 with offset; default now. Integration keys only: people act now.",
    )
    author_username = TextField(
        max_length=150,
        required=False,
        help_text="Integration keys only, agent messages: the active agent who wrote it; "
        "without it the reply is recorded as from the integration.",
    )
    send = serializers.BooleanField(
        default=False,
        help_text="Agent public replies only: also e-mail it to the thread's contact from the "
        "mailbox the thread came in by (its state shows on the thread page).",
    )

    def validate(self, data):
        if data["author"] == Message.Author.CUSTOMER and "author_username" in data:
            raise serializers.ValidationError(
                {"author_username": "Customer messages come from a contact, not an agent."}
            )
        if data["author"] == Message.Author.CUSTOMER and not data["public"]:
            raise serializers.ValidationError({"public": "Only agents write internal notes."})
        if data["send"] and (
            data["author"] != Message.Author.AGENT or not data["public"] or data["automatic"]
        ):
            raise serializers.ValidationError(
                {
                    "send": "Only a public agent reply is e-mailed; notes and automatic messages "
                    "never are."
                }
            )
        if data["author"] == Message.Author.AGENT and "contact_email" in data:
            raise serializers.ValidationError(
                {"contact_email": "Only customer messages come from a contact."}
            )
        return data
