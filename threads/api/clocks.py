"""A person's word on a clock through the API: why it missed, a moved due time, an exemption
(threads/overrides.py), and the managers' list of breach reasons."""

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from policies.models import BreachReason
from slaops.formatting import parse_duration
from threads import overrides
from threads.api.clock_fields import ClockSerializer
from threads.api.fields import (
    BAD_INPUT,
    ApiModelSerializer,
    IdField,
    LineField,
    StrictSerializer,
    TextField,
    UTCDateTimeField,
)
from threads.models import SlaClock, Thread


class BreachReasonSerializer(ApiModelSerializer):
    class Meta:
        model = BreachReason
        fields = ["id", "name", "excused", "description", "customer_text", "active"]
        read_only_fields = ["id"]
        extra_kwargs = {"name": {"max_length": 80}}

    def validate_name(self, value):
        return value.strip()

    def validate_excused(self, value):
        if self.instance is not None and value != self.instance.excused and self.instance.is_used():
            raise serializers.ValidationError(
                "This reason was given to breaches already: whether it excuses them cannot "
                "change. Make a new reason instead."
            )
        return value


@extend_schema_view(
    list=extend_schema(summary="Breach reasons managers keep"),
    create=extend_schema(responses={201: BreachReasonSerializer, 400: BAD_INPUT}),
    partial_update=extend_schema(responses={200: BreachReasonSerializer, 400: BAD_INPUT}),
)
class BreachReasonViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Managers create and change (PATCH); agents read (to give one); keys have no access."""

    serializer_class = BreachReasonSerializer
    queryset = BreachReason.objects.order_by("name", "id")

    def partial_update(self, request, *args, **kwargs):
        changed = self.get_serializer(self.get_object(), data=request.data, partial=True)
        changed.is_valid(raise_exception=True)
        changed.save()
        return Response(changed.data)


class ReasonSerializer(StrictSerializer):
    reason = IdField(queryset=BreachReason.objects.all(), help_text="A breach reason's id.")
    note = TextField(required=False, allow_blank=True, max_length=2000, default="")


class OverrideSerializer(StrictSerializer):
    due_at = UTCDateTimeField(required=False, help_text="The new due time.")
    extend_by = TextField(
        required=False, max_length=40, help_text='Business time to add to the due time, e.g. "2h".'
    )
    exempt = serializers.BooleanField(
        required=False, help_text="true: the clock counts in no objective (managers only)."
    )
    reason = LineField(max_length=500, help_text="Why (required); shown beside the clock.")

    def validate_extend_by(self, value):
        try:
            return parse_duration(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None

    def validate_reason(self, value):
        if not value.strip():
            raise serializers.ValidationError("Say why the due time moves.")
        return value.strip()

    def validate(self, data):
        given = [name for name in ("due_at", "extend_by", "exempt") if name in self.initial_data]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"non_field_errors": ["Give exactly one of due_at, extend_by or exempt."]}
            )
        if given == ["exempt"] and data.get("exempt") is not True:
            raise serializers.ValidationError({"exempt": ["Only true: exempt the clock."]})
        return data


class ClockViewSet(mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """/api/v1/threads/{id}/clocks/: a thread's clocks; `reason/` and `override/` act on one."""

    serializer_class = ClockSerializer
    queryset = SlaClock.objects.none()
    permission_model = SlaClock
    action_permissions = {"reason": "change", "override": "change"}
    pagination_class = None

    def _thread(self) -> Thread:
        from threads.api.views import scoped_threads

        thread = scoped_threads(self.request).filter(pk=self.kwargs["thread_id"]).first()
        if thread is None:
            raise Http404
        return thread

    def get_queryset(self):
        return (
            SlaClock.objects.filter(thread=self._thread())
            .select_related("thread", "policy", "breach_reason", "overridden_by")
            .order_by("started_at", "id")
        )

    def _refused(self, error: overrides.ClockRefused):
        if error.status == 403:
            raise PermissionDenied(str(error))
        raise ValidationError({error.field: [str(error)]})

    def _answer(self, clock):
        related = ("thread", "policy", "breach_reason", "overridden_by")
        clock = SlaClock.objects.select_related(*related).get(pk=clock.pk)
        return Response(ClockSerializer(clock, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Give or change a breach reason",
        request=ReasonSerializer,
        responses={200: ClockSerializer, 400: BAD_INPUT},
    )
    @action(detail=True, methods=["post"])
    def reason(self, request, thread_id=None, pk=None, **kwargs):
        clock = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            clock = overrides.clock_give_reason(
                thread=clock.thread,
                clock_id=clock.pk,
                reason=body.validated_data["reason"],
                note=body.validated_data.get("note", ""),
                actor=request.user,
            )
        except overrides.ClockRefused as error:
            self._refused(error)
        return self._answer(clock)

    @extend_schema(
        summary="Move a clock's due time, or exempt it from objectives",
        request=OverrideSerializer,
        responses={200: ClockSerializer, 400: BAD_INPUT},
    )
    @action(detail=True, methods=["post"])
    def override(self, request, thread_id=None, pk=None, **kwargs):
        clock = self.get_object()
        body = OverrideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            if data.get("exempt"):
                clock = overrides.clock_exempt(
                    thread=clock.thread,
                    clock_id=clock.pk,
                    reason=data["reason"],
                    actor=request.user,
                )
            else:
                clock = overrides.clock_move_due(
                    thread=clock.thread,
                    clock_id=clock.pk,
                    reason=data["reason"],
                    actor=request.user,
                    due_at=data.get("due_at"),
                    extend_by=data.get("extend_by"),
                )
        except overrides.ClockRefused as error:
            self._refused(error)
        return self._answer(clock)
