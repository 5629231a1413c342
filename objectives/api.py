"""/api/v1/objectives/: managers define objectives, agents read them with their current figures;
integration keys have no access (docs/rules.md, "Objectives", for every figure)."""

import zoneinfo
from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from objectives import figures as objective_figures
from objectives.models import Objective, ObjectivePeriod, Status
from objectives.rollup import close_periods
from objectives.scope import scope_problems
from policies.models import AlertChannel
from threads.api.fields import BAD_INPUT, ApiModelSerializer, IdField, UTCDateTimeField


def number(value):
    """A figure as a JSON number (a Decimal rounded to 2 decimals), or null."""
    return None if value is None else float(value)


class NumberField(serializers.DecimalField):
    """A JSON number: "95" as a string is refused, as text fields refuse numbers."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class FiguresSerializer(serializers.Serializer):
    period_start = UTCDateTimeField(read_only=True)
    period_end = UTCDateTimeField(read_only=True)
    achieved = serializers.IntegerField(read_only=True)
    breached = serializers.IntegerField(read_only=True)
    excused = serializers.IntegerField(read_only=True)
    cancelled = serializers.IntegerField(read_only=True)
    compliance_percent = serializers.FloatField(read_only=True, allow_null=True)
    allowed_misses = serializers.IntegerField(read_only=True)
    allowed_misses_period_end = serializers.IntegerField(read_only=True, allow_null=True)
    misses = serializers.IntegerField(read_only=True)
    budget_left = serializers.IntegerField(read_only=True)
    projected_percent = serializers.FloatField(read_only=True, allow_null=True)
    status = serializers.ChoiceField(read_only=True, choices=Status.choices)

    def to_representation(self, found):
        values = found if isinstance(found, dict) else found.as_dict()
        out = super().to_representation(values)
        for name in ("compliance_percent", "projected_percent"):
            out[name] = number(values[name])
        return out


class ObjectiveSerializer(ApiModelSerializer):
    target_percent = NumberField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("100"),
        coerce_to_string=False,
        help_text="e.g. 95 or 99.5 (at most 2 decimals).",
    )
    at_risk_share = NumberField(
        max_digits=3,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("1"),
        coerce_to_string=False,
        required=False,
        help_text="At risk once misses reach this share of the misses allowed (default 0.5).",
    )
    scope = serializers.JSONField(
        required=False,
        help_text="Any of policies, tiers, accounts, teams (lists of ids), priorities, channels "
        "(lists of values); absent or empty means any.",
    )
    alert_channels = IdField(many=True, queryset=AlertChannel.objects.all(), required=False)
    current = serializers.SerializerMethodField()

    class Meta:
        model = Objective
        fields = [
            "id",
            "name",
            "metric",
            "target_percent",
            "period",
            "time_zone",
            "scope",
            "at_risk_share",
            "alert_channels",
            "notify_managers",
            "current",
        ]
        read_only_fields = ["id", "current"]

    def validate_time_zone(self, value):
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise serializers.ValidationError(
                "Not a time zone: give an IANA name such as Europe/Berlin."
            ) from None
        return value

    def validate_scope(self, value):
        problems = scope_problems(value)
        if problems:
            raise serializers.ValidationError(problems)
        return {key: values for key, values in (value or {}).items() if values}

    def validate(self, attrs):
        """The scope against the metric (either may be the one already saved)."""
        metric = attrs.get("metric", getattr(self.instance, "metric", None))
        scope = attrs.get("scope", getattr(self.instance, "scope", None))
        problems = [p for p in scope_problems(scope, metric) if p not in scope_problems(scope)]
        if problems:
            raise serializers.ValidationError({"scope": problems})
        return attrs

    @extend_schema_field(FiguresSerializer)
    def get_current(self, objective) -> dict:
        now = self.context.get("now") or timezone.now()
        return FiguresSerializer(objective_figures.figures(objective, now)).data


class PeriodSerializer(serializers.ModelSerializer):
    period_start = UTCDateTimeField(source="start")
    period_end = UTCDateTimeField(source="end")
    closed_at = UTCDateTimeField()
    figures = serializers.JSONField(help_text="The figures as the period closed.")
    correction = serializers.JSONField(
        allow_null=True, help_text="A later recount that differs from the figures, or null."
    )

    class Meta:
        model = ObjectivePeriod
        fields = ["period_start", "period_end", "status", "closed_at", "figures", "correction"]


@extend_schema_view(
    list=extend_schema(summary="Objectives with their current period's figures"),
    retrieve=extend_schema(summary="One objective with its current period's figures"),
    create=extend_schema(responses={201: ObjectiveSerializer, 400: BAD_INPUT}),
    partial_update=extend_schema(responses={200: ObjectiveSerializer, 400: BAD_INPUT}),
    update=extend_schema(responses={200: ObjectiveSerializer, 400: BAD_INPUT}),
)
class ObjectiveViewSet(viewsets.ModelViewSet):
    """Managers create, change and delete; agents read; integration keys have no access."""

    serializer_class = ObjectiveSerializer
    queryset = Objective.objects.prefetch_related("alert_channels").order_by("name", "id")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(
        summary="The objective's closed periods, as they were when each closed",
        responses={200: PeriodSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def periods(self, request, pk=None, **kwargs):
        objective = self.get_object()
        close_periods()
        rows = ObjectivePeriod.objects.filter(objective=objective).order_by("-start")
        return Response(PeriodSerializer(rows, many=True).data)
