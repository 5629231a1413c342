"""REST API v1 for integrators: push accounts, contacts, threads and messages in; read SLA clocks.

Views are thin. Every change to a thread goes through `threads.services`; reads prefetch what they
render, so a page of threads costs the same few queries however many clocks it carries.
"""

import re
from datetime import UTC, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, F, OuterRef, Prefetch, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.models import Account, Contact, Team
from accounts.services import UNSET, account_for_email, contact_upsert
from policies.durations import format_duration
from policies.models import Tier
from policies.vocabulary import Channel, Metric, Priority, ThreadStatus
from threads import services
from threads.clockwork import used_at
from threads.models import RUNNING_STATES, ClockState, Message, SlaClock, SlaEvent, Thread

User = get_user_model()

# A "+" in a query string arrives as a space: "…T09:00:00 01:00" means "…T09:00:00+01:00".
_SPACED_OFFSET = re.compile(r"^(.*\d)\s(\d{2}(?::?\d{2})?)$")


# ------------------------------------------------------------------------------------ fields


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


def _seconds(value: timedelta) -> int:
    return int(value.total_seconds())


class ErrorSerializer(serializers.Serializer):
    """What a 400 looks like: each field at fault with its broken rules, and a summary."""

    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    detail = serializers.CharField()


BAD_INPUT = OpenApiResponse(ErrorSerializer, description="A field breaks a rule; see errors.")


# ---------------------------------------------------------------------- accounts and contacts


class AccountSerializer(ApiModelSerializer):
    email_domains = serializers.ListField(
        child=TextField(max_length=253),
        required=False,
        help_text='Mail from these domains belongs to this account, e.g. ["example.com"].',
    )
    tier = serializers.PrimaryKeyRelatedField(
        queryset=Tier.objects.all(),
        allow_null=True,
        required=False,
        help_text="Tier id; null = the default tier. Changing it re-matches the open threads.",
    )

    class Meta:
        model = Account
        fields = ["id", "name", "email_domains", "tier", "time_zone", "created_at"]
        read_only_fields = ["created_at"]

    def validate_email_domains(self, value):
        account = Account(email_domains=value)
        try:
            account.clean()  # the model's own rule: normalised, lower-case, real domains
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict["email_domains"]) from None
        return account.email_domains


class ContactSerializer(ApiModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "email", "name", "account", "created_at"]
        read_only_fields = ["created_at"]
        # POST is an upsert: an email that exists already is not an error.
        extra_kwargs = {"email": {"validators": []}}

    def validate_email(self, value: str) -> str:
        return value.strip().lower()


@extend_schema_view(
    create=extend_schema(responses={201: AccountSerializer, 400: BAD_INPUT}),
    update=extend_schema(responses={200: AccountSerializer, 400: BAD_INPUT}),
    partial_update=extend_schema(responses={200: AccountSerializer, 400: BAD_INPUT}),
)
class AccountViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Customer accounts. A tier change re-matches the account's open threads.

    Reading needs a login; creating and changing need the account permissions (Managers)."""

    lookup_value_regex = r"[0-9]+"  # any other id is a 404, never a 500

    permission_classes = [permissions.IsAuthenticated, permissions.DjangoModelPermissions]
    queryset = Account.objects.order_by("name", "id")
    serializer_class = AccountSerializer

    def perform_update(self, serializer):
        account = serializer.instance
        tier_given = "tier" in serializer.validated_data
        tier = serializer.validated_data.pop("tier", None)
        with transaction.atomic():
            serializer.save()
            if tier_given and (tier.pk if tier else None) != account.tier_id:
                services.account_set_tier(account=account, tier=tier, actor=self.request.user)


class ContactViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """People who write in. POST upserts by email (lower-cased)."""

    lookup_value_regex = r"[0-9]+"  # any other id is a 404, never a 500

    queryset = Contact.objects.order_by("email")
    serializer_class = ContactSerializer

    @extend_schema(
        responses={
            200: OpenApiResponse(ContactSerializer, description="Existing contact, updated."),
            201: OpenApiResponse(ContactSerializer, description="New contact."),
            400: BAD_INPUT,
        },
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        contact, created = contact_upsert(
            email=data["email"],
            name=data.get("name"),
            account=data.get("account", UNSET),
        )
        return Response(
            self.get_serializer(contact).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


# ------------------------------------------------------------------------------ reading threads


class ClockSerializer(ApiModelSerializer):
    """A clock as it stands at the time of the request (used/left are computed then)."""

    policy = serializers.CharField(source="policy.name", allow_null=True, read_only=True)
    target = serializers.SerializerMethodField(help_text='Business time, e.g. "1h 30m".')
    target_seconds = serializers.SerializerMethodField()
    used_seconds = serializers.SerializerMethodField(help_text="Business time used so far.")
    left_seconds = serializers.SerializerMethodField(
        help_text="Target minus used; negative once past due."
    )
    used = serializers.SerializerMethodField()
    left = serializers.SerializerMethodField()

    class Meta:
        model = SlaClock
        fields = [
            "id",
            "metric",
            "state",
            "policy",
            "target",
            "target_seconds",
            "started_at",
            "warn_at",
            "due_at",
            "stopped_at",
            "paused",
            "used_seconds",
            "left_seconds",
            "used",
            "left",
        ]
        read_only_fields = fields

    def to_representation(self, clock):
        now = self.context.get("now") or timezone.now()
        self._used = used_at(clock, now)
        self._left = clock.target_duration - self._used
        return super().to_representation(clock)

    def get_target(self, clock) -> str:
        return format_duration(clock.target_duration)

    def get_target_seconds(self, clock) -> int:
        return _seconds(clock.target_duration)

    def get_used_seconds(self, clock) -> int:
        return _seconds(self._used)

    def get_left_seconds(self, clock) -> int:
        return _seconds(self._left)

    def get_used(self, clock) -> str:
        return format_duration(self._used)

    def get_left(self, clock) -> str:
        return format_duration(self._left)


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


class ThreadFilterSerializer(serializers.Serializer):
    """Query parameters of the thread list. Clock filters (metric, state, due_before,
    due_after) all apply to one and the same clock."""

    status = serializers.ChoiceField(choices=ThreadStatus.choices, required=False)
    state = serializers.ChoiceField(
        choices=ClockState.choices, required=False, help_text="Has a clock in this state."
    )
    metric = serializers.ChoiceField(
        choices=Metric.choices, required=False, help_text="Has a clock of this metric."
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    tier = serializers.PrimaryKeyRelatedField(queryset=Tier.objects.all(), required=False)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False)
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

    def validate_assignee(self, value: str):
        if value.strip().lower() == "none":
            return None
        try:
            return User.objects.get(pk=int(value))
        except (ValueError, OverflowError, User.DoesNotExist):
            raise serializers.ValidationError(
                f'"{value}" is not a user id; give a user id or "none".'
            ) from None


def filter_threads(queryset, filters: dict):
    for name in ("status", "priority", "tier", "team"):
        if name in filters:
            queryset = queryset.filter(**{name: filters[name]})
    if "assignee" in filters:
        queryset = queryset.filter(assignee=filters["assignee"])
    clock = {}
    if "metric" in filters:
        clock["metric"] = filters["metric"]
    if "state" in filters:
        clock["state"] = filters["state"]
    if "due_before" in filters or "due_after" in filters:
        clock["state__in"] = RUNNING_STATES
        if "due_before" in filters:
            clock["due_at__lt"] = filters["due_before"]
        if "due_after" in filters:
            clock["due_at__gte"] = filters["due_after"]
    if clock:
        queryset = queryset.filter(Exists(SlaClock.objects.filter(thread=OuterRef("pk"), **clock)))
    if filters.get("ordering") == "next_due":
        next_due = (
            SlaClock.objects.filter(
                thread=OuterRef("pk"), state__in=RUNNING_STATES, due_at__isnull=False
            )
            .order_by("due_at")
            .values("due_at")[:1]
        )
        return queryset.annotate(next_due=Subquery(next_due)).order_by(
            F("next_due").asc(nulls_last=True), "id"
        )
    return queryset.order_by("-created_at", "-id")


# ------------------------------------------------------------------------------ changing threads


class ThreadCreateSerializer(serializers.Serializer):
    subject = TextField(max_length=300, required=False, allow_blank=True, default="")
    message = TextField(allow_blank=True, help_text="Body of the customer's first message.")
    contact_email = serializers.EmailField(
        required=False,
        help_text="Upserts the contact; the thread's account is the contact's, or the account "
        "whose email_domains has the email's domain.",
    )
    contact_name = TextField(max_length=200, required=False, allow_blank=True)
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(), required=False, allow_null=True
    )
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.EMAIL)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    assignee = serializers.PrimaryKeyRelatedField(
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
        return value.strip().lower()


class ThreadChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ThreadStatus.choices, required=False)
    reason = TextField(
        required=False,
        allow_blank=True,
        help_text="Why: required when the status pauses resolution time (kept in the history).",
    )
    subject = TextField(max_length=300, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )

    def validate(self, data):
        if "reason" in data and "status" not in data:
            raise serializers.ValidationError({"reason": "Give a reason together with a status."})
        return data


def thread_queryset(*, events: bool = False):
    queryset = Thread.objects.select_related("contact", "assignee", "policy").prefetch_related(
        Prefetch(
            "clocks",
            queryset=SlaClock.objects.select_related("policy", "calendar").order_by(
                "started_at", "id"
            ),
        )
    )
    if events:
        queryset = queryset.prefetch_related(
            Prefetch(
                "events",
                queryset=SlaEvent.objects.select_related("clock", "actor").order_by("at", "id"),
            )
        )
    return queryset


class NowMixin:
    """One instant per request, so every clock of a response is read at the same time."""

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}


@extend_schema_view(
    list=extend_schema(
        summary="List threads with their clocks (filters combine with AND)",
        parameters=[ThreadFilterSerializer],
        responses={200: ThreadSerializer(many=True), 400: BAD_INPUT},
    ),
    retrieve=extend_schema(
        summary="A thread with its clocks and its history (events by time)",
        responses=ThreadDetailSerializer,
    ),
)
class ThreadViewSet(
    NowMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Support threads with their SLA clocks. Changes go through the thread services."""

    lookup_value_regex = r"[0-9]+"  # any other id is a 404, never a 500

    queryset = Thread.objects.all()
    serializer_class = ThreadSerializer

    def get_queryset(self):
        if self.action == "list":
            filters = ThreadFilterSerializer(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            return filter_threads(thread_queryset(), filters.validated_data)
        return thread_queryset(events=True)

    def get_serializer_class(self):
        return ThreadSerializer if self.action == "list" else ThreadDetailSerializer

    def _respond(self, thread_id: int, code=status.HTTP_200_OK) -> Response:
        thread = thread_queryset(events=True).get(pk=thread_id)
        context = self.get_serializer_context()
        return Response(ThreadDetailSerializer(thread, context=context).data, status=code)

    @extend_schema(
        summary="Open a thread with the customer's first message",
        request=ThreadCreateSerializer,
        responses={
            200: OpenApiResponse(ThreadDetailSerializer, description="Existing thread (same id)."),
            201: OpenApiResponse(ThreadDetailSerializer, description="New thread."),
            400: BAD_INPUT,
        },
    )
    def create(self, request, *args, **kwargs):
        serializer = ThreadCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        existing = self._existing(data)
        if existing is not None:
            return self._respond(existing)
        try:
            with transaction.atomic():
                thread_id = self._create(data)
        except IntegrityError:
            # Two deliveries of one external thread raced; the other one created it.
            existing = self._existing(data)
            if existing is None:
                raise
            return self._respond(existing)
        return self._respond(thread_id, status.HTTP_201_CREATED)

    @staticmethod
    def _existing(data) -> int | None:
        if not data["external_id"]:
            return None
        return (
            Thread.objects.filter(source=data["source"], external_id=data["external_id"])
            .values_list("pk", flat=True)
            .first()
        )

    def _create(self, data) -> int:
        account, contact = data.get("account"), None
        email = data.get("contact_email")
        if email:
            contact, _ = contact_upsert(email=email, name=data.get("contact_name"))
            account = account or contact.account or account_for_email(email)
            if contact.account_id is None and account is not None:
                contact, _ = contact_upsert(email=email, account=account)
        result = services.thread_create(
            subject=data["subject"],
            first_message=data["message"],
            account=account,
            contact=contact,
            channel=data["channel"],
            priority=data["priority"],
            team=data.get("team"),
            assignee=data.get("assignee"),
            source=data["source"],
            external_id=data["external_id"],
            message_external_id=data["message_external_id"],
            needs_reply=data["needs_reply"],
            created_at=data.get("created_at"),
            actor=self.request.user,
        )
        return result.thread.pk

    @extend_schema(
        summary="Change status, priority, channel, team or assignee",
        description="Priority, channel and team changes match the SLA policy again; a status "
        "that pauses resolution time needs a reason. All changes apply together or not at all.",
        request=ThreadChangeSerializer,
        responses={200: ThreadDetailSerializer, 400: BAD_INPUT},
    )
    def partial_update(self, request, *args, **kwargs):
        thread = get_object_or_404(Thread.objects.only("pk"), pk=kwargs["pk"])
        serializer = ThreadChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        new_status = changes.pop("status", None)
        reason = changes.pop("reason", "")
        with transaction.atomic():  # all of the change or none of it
            if changes:
                services.thread_update(thread=thread.pk, actor=request.user, **changes)
            if new_status is not None:
                services.thread_set_status(
                    thread=thread.pk, status=new_status, reason=reason, actor=request.user
                )
        return self._respond(thread.pk)

    @extend_schema(
        summary="Mark that the customer's last message needs no reply",
        request=None,
        responses=ThreadDetailSerializer,
    )
    @action(detail=True, methods=["post"], url_path="no-reply-needed")
    def no_reply_needed(self, request, pk=None):
        """Cancel the running response clock: the customer's last message needs no answer."""
        thread = get_object_or_404(Thread.objects.only("pk"), pk=pk)
        services.thread_mark_no_reply_needed(thread=thread.pk, actor=request.user)
        return self._respond(thread.pk)


# ------------------------------------------------------------------------------------ messages


class MessageSerializer(ApiModelSerializer):
    author = serializers.CharField(source="author_kind", read_only=True)
    author_username = serializers.CharField(
        source="author_user.username", allow_null=True, read_only=True
    )
    contact_email = serializers.EmailField(source="contact.email", allow_null=True, read_only=True)

    class Meta:
        model = Message
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
        ]
        read_only_fields = fields


class MessageCreateSerializer(serializers.Serializer):
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
        required=False, help_text="Customer only: who wrote; default the thread's contact."
    )
    external_id = TextField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="The same id again on this thread returns the existing message (200).",
    )
    created_at = UTCDateTimeField(required=False, help_text="ISO 8601 with offset; default now.")

    def validate(self, data):
        if data["author"] == Message.Author.CUSTOMER and not data["public"]:
            raise serializers.ValidationError({"public": "Only agents write internal notes."})
        if data["author"] == Message.Author.AGENT and "contact_email" in data:
            raise serializers.ValidationError(
                {"contact_email": "Only customer messages come from a contact."}
            )
        return data


@extend_schema_view(list=extend_schema(summary="The thread's messages, oldest first"))
class ThreadMessageViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The messages of one thread, oldest first."""

    serializer_class = MessageSerializer

    def get_thread(self) -> Thread:
        if not hasattr(self, "_thread"):
            self._thread = get_object_or_404(Thread.objects.only("pk"), pk=self.kwargs["thread_id"])
        return self._thread

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no thread
            return Message.objects.none()
        return (
            Message.objects.filter(thread=self.get_thread())
            .select_related("author_user", "contact")
            .order_by("created_at", "id")
        )

    @extend_schema(
        summary="Add a customer message or an agent reply/internal note",
        request=MessageCreateSerializer,
        responses={
            200: OpenApiResponse(MessageSerializer, description="Existing message (same id)."),
            201: OpenApiResponse(MessageSerializer, description="New message."),
            400: BAD_INPUT,
        },
    )
    def create(self, request, *args, **kwargs):
        serializer = MessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            thread_id = int(self.kwargs["thread_id"])
            # The service locks the thread before it looks for the external id, so a message
            # delivered twice at once is stored once; a missing thread is a 404.
            message, created = self._add(thread_id, serializer.validated_data)
        except (ValueError, Thread.DoesNotExist):
            raise NotFound("No thread with this id.") from None
        return Response(
            MessageSerializer(message).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def _add(self, thread_id: int, data) -> tuple[Message, bool]:
        common = {
            "thread": thread_id,
            "body": data["body"],
            "automatic": data["automatic"],
            "created_at": data.get("created_at"),
            "external_id": data["external_id"],
        }
        if data["author"] == Message.Author.CUSTOMER:
            contact = None
            if "contact_email" in data:
                contact, _ = contact_upsert(email=data["contact_email"])
            return services.message_receive(
                contact=contact, needs_reply=data["needs_reply"], **common
            )
        return services.agent_reply(
            author=None if data["automatic"] else self.request.user,
            public=data["public"],
            **common,
        )
