"""Thread and message endpoints. Views are thin: every change goes through `threads.services`;
reads prefetch what they render, so a page of threads costs the same few queries however many
clocks it carries."""

from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.services import account_for_email, contact_upsert
from threads import services
from threads.api.fields import BAD_INPUT
from threads.api.queries import filter_threads, thread_queryset
from threads.api.serializers import (
    MessageCreateSerializer,
    MessageSerializer,
    ThreadChangeSerializer,
    ThreadCreateSerializer,
    ThreadDetailSerializer,
    ThreadFilterSerializer,
    ThreadSerializer,
)
from threads.models import Message, Thread


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
