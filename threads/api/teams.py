"""Teams and their own targets (OLAs), read-only: managers configure them on the team's page in
the admin. Whoever may read teams (Agents, Managers) and integration keys read every team, so an
integration can hand a thread to one by id or name."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from accounts.models import Team
from integrations.permissions import READ
from policies.models import TeamTarget
from policies.vocabulary import TEAM_METRICS, Priority
from threads.api.fields import whole_seconds


# A pattern, not an enum: the schema's one "metric" enum is every clock's (MetricEnum).
@extend_schema_field(
    {"type": "string", "pattern": "^(" + "|".join(m.value for m in TEAM_METRICS) + ")$"}
)
class TeamMetricField(serializers.CharField):
    """A team target's metric: team_response or team_resolution (shown, never read in)."""


class TeamTargetShownSerializer(serializers.Serializer):
    metric = TeamMetricField(read_only=True, help_text="team_response or team_resolution.")
    priority = serializers.ChoiceField(
        choices=Priority.choices,
        read_only=True,
        allow_null=True,
        help_text="The thread priority it applies to; null = any priority.",
    )
    target_seconds = serializers.IntegerField(
        read_only=True,
        help_text="Business seconds on the team's calendar (else the thread's policy's).",
    )


class TeamSerializer(serializers.ModelSerializer):
    calendar = serializers.CharField(
        source="calendar.name",
        allow_null=True,
        read_only=True,
        help_text="The calendar the team's clocks run on; null = the thread's policy's "
        "(around the clock when no policy matches).",
    )
    targets = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = ["id", "name", "calendar", "targets"]
        read_only_fields = fields

    @extend_schema_field(TeamTargetShownSerializer(many=True))
    def get_targets(self, team):
        return [
            {
                "metric": target.metric,
                "priority": target.priority or None,
                "target_seconds": whole_seconds(target.duration),
            }
            for target in team.targets.all()
        ]


@extend_schema_view(
    list=extend_schema(summary="Teams with their calendar and own targets (OLAs)"),
    retrieve=extend_schema(summary="A team with its calendar and own targets (OLAs)"),
)
class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Teams, their calendar and their targets (team_response, team_resolution per priority).
    Reading needs the permission to view teams (Agents, Managers); integration keys may read."""

    lookup_value_regex = r"[0-9]+"  # any other id is a 404, never a 500

    integration_access = READ
    serializer_class = TeamSerializer
    queryset = (
        Team.objects.select_related("calendar")
        .prefetch_related(
            Prefetch("targets", TeamTarget.objects.order_by("metric", "priority", "id"))
        )
        .order_by("name", "id")
    )
