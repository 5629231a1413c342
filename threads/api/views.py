"""Thread and message endpoints. Views are thin: every change goes through `threads.services`;
reads prefetch what they render, so a page of threads costs the same few queries however many
clocks it carries.

Scope: an integration key sees and changes only threads of its own source; a team-limited agent
only their teams' threads and those assigned to them. Anything else is a 404, so ids do not leak.
"""

from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from accounts.roles import AGENTS, MANAGERS
from accounts.services import contact_upsert
from integrations.authentication import integration_key
from integrations.permissions import WRITE
from threads import selectors, services
from threads.api.delivery import RetrySerializer
from threads.api.fields import BAD_INPUT
from threads.api.queries import filter_threads, thread_queryset
from threads.api.serializers import (
    MessageCreateSerializer,
    MessageSerializer,
    NoReplyNeededSerializer,
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


PEOPLE_ACT_NOW = (
    "People act now: only integration keys and the importer give past times. Leave created_at out."
)


def scoped_threads(request, threads=None):
    """The threads this caller may see and change."""
    threads = Thread.objects.all() if threads is None else threads
    key = integration_key(request)
    if key is not None:
        return threads.filter(source=key.source)
    return selectors.visible_threads(threads, user=request.user)


def actor_of(request):
    """Who the history names: the person, or nobody for an integration key."""
    return None if integration_key(request) is not None else request.user


def via_of(request) -> str:
    """What the history says a change came through: the integration key's label, if any."""
    key = integration_key(request)
    return key.label() if key is not None else ""


PEOPLE_SOURCE = "api"  # the source of threads people open (no key may have it)
PEOPLE_OPEN_API_THREADS = (
    "Only an integration key for this source may use it: people open threads of source "
    f"“{PEOPLE_SOURCE}” (leave source out)."
)


def refuse_past_times_from_people(request) -> None:
    data = request.data
    if integration_key(request) is None and isinstance(data, dict) and "created_at" in data:
        raise ValidationError({"created_at": [PEOPLE_ACT_NOW]})


@extend_schema_view(
    list=extend_schema(
        summary="List threads with their clocks (filters combine with AND)",
        description="To find the thread an integration pushed, give its source and "
        "external_id together: `?source=zendesk&external_id=ZD-4711` lists that thread, or "
        "nothing (200, empty). Either one alone, or a blank one, is a 400 naming the field.",
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
    integration_access = WRITE
    action_permissions = {"no_reply_needed": "change"}  # it changes a thread, it adds none

    def get_queryset(self):
        if self.action == "list":
            filters = ThreadFilterSerializer(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            return scoped_threads(
                self.request, filter_threads(thread_queryset(), filters.validated_data)
            )
        return scoped_threads(self.request, thread_queryset(events=True))

    def _thread_or_404(self, pk) -> Thread:
        return get_object_or_404(scoped_threads(self.request).only("pk"), pk=pk)

    def get_serializer_class(self):
        return ThreadSerializer if self.action == "list" else ThreadDetailSerializer

    def _respond(self, thread_id: int, code=status.HTTP_200_OK) -> Response:
        thread = scoped_threads(self.request, thread_queryset(events=True)).filter(pk=thread_id)
        thread = thread.first()
        if thread is None:  # an existing external id of a thread this caller may not see
            raise NotFound("No thread with this id.")
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
        refuse_past_times_from_people(request)  # a time no one may give is refused as such first
        data = serializer.validated_data
        key = integration_key(request)
        if key is not None:
            if "source" in request.data and data["source"] != key.source:
                raise ValidationError(
                    {"source": [f"This API key creates threads of source “{key.source}” only."]}
                )
            data["source"] = key.source
        else:
            # Another source's idempotent create would find the thread as its own.
            if data["source"] != PEOPLE_SOURCE:
                raise ValidationError({"source": [PEOPLE_OPEN_API_THREADS]})
            self._refuse_outside_own_teams(data)
        result = self._create(data)
        return self._respond(
            result.thread.pk, status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )

    def _refuse_outside_own_teams(self, data) -> None:
        """A team-limited agent opens threads they may then work: one of their teams', or one
        assigned to themselves."""
        user = self.request.user
        if not selectors.only_my_teams(user):
            return
        team, assignee = data.get("team"), data.get("assignee")
        if assignee is not None and assignee.pk == user.pk:
            return
        if team is None or team.pk not in selectors.team_ids(user):
            raise ValidationError(
                {
                    "team": [
                        "You work only your teams' threads: give one of your teams, or assign "
                        "the thread to yourself."
                    ]
                }
            )

    def _create(self, data) -> services.Created:
        return services.thread_create(
            subject=data["subject"],
            first_message=data["message"],
            account=data.get("account"),
            contact_email=data.get("contact_email", ""),
            contact_name=data.get("contact_name"),
            channel=data["channel"],
            priority=data["priority"],
            team=data.get("team"),
            assignee=data.get("assignee"),
            source=data["source"],
            external_id=data["external_id"],
            message_external_id=data["message_external_id"],
            needs_reply=data["needs_reply"],
            created_at=data.get("created_at"),
            actor=actor_of(self.request),
            via=via_of(self.request),
        )

    @extend_schema(
        summary="Change status, subject, priority, channel, team or assignee",
        description="Priority, channel and team changes match the SLA policy again; a status "
        "that pauses resolution time needs a reason. A reason may go with any change and is "
        "kept in the history with each of them (a reason alone, with nothing to change, is "
        "refused). All changes apply together or not at all.",
        request=ThreadChangeSerializer,
        responses={200: ThreadDetailSerializer, 400: BAD_INPUT},
    )
    def partial_update(self, request, *args, **kwargs):
        thread = self._thread_or_404(kwargs["pk"])
        who = {"actor": actor_of(request), "via": via_of(request)}
        serializer = ThreadChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        new_status = changes.pop("status", None)
        reason = changes.pop("reason", "")
        services.thread_change(thread=thread.pk, status=new_status, reason=reason, **who, **changes)
        return self._respond(thread.pk)

    @extend_schema(
        summary="Mark that the customer's last message needs no reply",
        description="The running response clock stops: cancelled while it has time left, "
        "breached if it is already past due (a breach stays a breach). The optional reason is "
        "kept in the history; an empty body is fine.",
        request=NoReplyNeededSerializer,
        responses={200: ThreadDetailSerializer, 400: BAD_INPUT},
    )
    @action(detail=True, methods=["post"], url_path="no-reply-needed")
    def no_reply_needed(self, request, pk=None):
        """Stop the running response clock: the customer's last message needs no answer."""
        thread = self._thread_or_404(pk)
        serializer = NoReplyNeededSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.thread_mark_no_reply_needed(
            thread=thread.pk,
            reason=serializer.validated_data["reason"],
            actor=actor_of(request),
            via=via_of(request),
        )
        return self._respond(thread.pk)


@extend_schema_view(list=extend_schema(summary="The thread's messages, oldest first"))
class ThreadMessageViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The messages of one thread, oldest first."""

    serializer_class = MessageSerializer
    queryset = Message.objects.all()  # the model whose permissions apply
    integration_access = WRITE
    lookup_value_regex = r"[0-9]+"  # any other id is a 404, never a 500

    def get_thread(self) -> Thread:
        if not hasattr(self, "_thread"):
            self._thread = get_object_or_404(
                scoped_threads(self.request).only("pk"), pk=self.kwargs["thread_id"]
            )
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
        # A thread outside the caller's scope is a 404 before anything else. The service's row
        # lock checks the scope itself, so the look-up runs first only when something would
        # answer or write before the lock: a refusal, a contact, an agent to find.
        serializer = MessageCreateSerializer(data=request.data)
        if not serializer.is_valid():
            self.get_thread()
            raise ValidationError(serializer.errors)
        data = serializer.validated_data
        if "contact_email" in data or "author_username" in data or "created_at" in request.data:
            self.get_thread()
        thread_id = int(self.kwargs["thread_id"])
        refuse_past_times_from_people(request)
        author = self._author(thread_id, data)
        try:
            # The service locks the thread before it looks for the external id, so a message
            # delivered twice at once is stored once; a thread deleted meanwhile is a 404. With
            # `send`, it queues the reply through the thread's reply channel in its transaction.
            message, created = self._add(thread_id, data, author)
        except Thread.DoesNotExist:
            if hasattr(self, "_thread"):
                raise NotFound("No thread with this id.") from None
            raise Http404("No Thread matches the given query.") from None  # as get_thread's
        return Response(
            MessageSerializer(message).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="Send a reply whose delivery failed again",
        description="Only a public agent reply whose `delivery.state` is `failed`; anything else "
        "is a 400 naming `delivery`. The reply is queued again (its channel first looks for an "
        "earlier post of it, so it never reaches the customer twice).",
        request=RetrySerializer,
        responses={200: MessageSerializer, 400: BAD_INPUT},
    )
    @action(detail=True, methods=["post"], url_path="retry")
    def retry(self, request, *args, **kwargs):
        message = get_object_or_404(
            Message.objects.select_related("thread"), pk=kwargs["pk"], thread=self.get_thread()
        )
        RetrySerializer(data=request.data).is_valid(raise_exception=True)
        services.reply_retry(message=message)
        return Response(MessageSerializer(message).data)

    def _author(self, thread_id: int, data):
        """Who wrote an agent message. A person writes as themselves. An integration key
        relays replies: as the active agent named by author_username (who must be allowed to
        work this thread), or, without one, as the integration (no person)."""
        username = data.get("author_username")
        if integration_key(self.request) is None:
            if username:
                raise ValidationError(
                    {"author_username": ["People reply as themselves; leave author_username out."]}
                )
            return self.request.user
        if not username or data["author"] != Message.Author.AGENT:
            return None
        # Only people with a role work threads: never an operator's account or a role-less one.
        person = (
            get_user_model()
            .objects.filter(username=username, is_active=True, groups__name__in=[AGENTS, MANAGERS])
            .first()
        )
        if (
            person is None
            or not person.has_perm("threads.add_message")
            or not selectors.visible_threads(
                Thread.objects.filter(pk=thread_id), user=person
            ).exists()
        ):
            raise ValidationError(
                {"author_username": [f"No active agent “{username}” works this thread."]}
            )
        return person

    def _add(self, thread_id: int, data, author) -> tuple[Message, bool]:
        common = {
            "thread": thread_id,
            "body": data["body"],
            "automatic": data["automatic"],
            "created_at": data.get("created_at"),
            "external_id": data["external_id"],
            "via": via_of(self.request),
            "within": scoped_threads(self.request),
        }
        if data["author"] == Message.Author.CUSTOMER:
            contact = None
            if "contact_email" in data:
                key = integration_key(self.request)
                source = key.source if key is not None else ""  # "" = a person added them
                contact, _ = contact_upsert(email=data["contact_email"], source=source)
            return services.message_receive(
                contact=contact, needs_reply=data["needs_reply"], **common
            )
        return services.agent_reply(
            author=None if data["automatic"] else author,
            public=data["public"],
            send=data["send"],
            **common,
        )
