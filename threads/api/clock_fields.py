"""How a clock reads in the API: its figures at the time of the request, the team it measures,
who held its time (attribution), and its override and breach reason (read-only)."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Team
from slaops.formatting import format_duration
from threads.api.fields import ApiModelSerializer, UTCDateTimeField, whole_seconds
from threads.clocks import attribution
from threads.clocks.measure import measure
from threads.models import SlaClock


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


class AttributionPartSerializer(serializers.Serializer):
    """One holder's share of a clock's used time (a response shape: nothing reads it in)."""

    holder = serializers.CharField(
        help_text='"team:<team name>", "no_team" or "status:<status>" (a non-open status the '
        "clock ran in; a status that pauses the clock uses no time and never appears).",
    )
    seconds = serializers.IntegerField(help_text="Business seconds, above 0.")
    team_id = serializers.IntegerField(
        required=False, help_text="Team holders only: the team's id."
    )


class TeamNames:
    """Team names by id, read in one query the first time a response needs one (a team deleted
    since is "(deleted team <id>)")."""

    def __init__(self):
        self._names: dict[int, str] | None = None

    def __getitem__(self, team_id: int) -> str:
        if self._names is None:
            self._names = dict(Team.objects.values_list("id", "name"))
        return self._names.get(team_id) or f"(deleted team {team_id})"


def attribution_parts(clock, used, names: TeamNames) -> list[dict]:
    """Who held the clock's `used` business time, largest part first, in whole seconds summing
    to `used`'s (docs/rules.md, "Who held the time")."""
    fallback = attribution.holder_of(clock.thread)
    parts = []
    for holder, seconds in attribution.shares(clock, used, fallback=fallback):
        team_id = attribution.team_id_of(holder)
        if team_id is None:
            parts.append({"holder": holder, "seconds": seconds})
            continue
        shown = f"{attribution.TEAM}{names[team_id]}"
        parts.append({"holder": shown, "seconds": seconds, "team_id": team_id})
    return parts


class ClockSerializer(ApiModelSerializer):
    """A clock as it stands at the time of the request (used/left are computed then)."""

    policy = serializers.CharField(source="policy.name", allow_null=True, read_only=True)
    team = serializers.SerializerMethodField(
        help_text="Team clocks (team_response, team_resolution): the team's name; else null."
    )
    team_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Team clocks: the team's id; else null."
    )
    cycle = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="periodic_update: the cycle (1 from the first public reply, 2, …); else null.",
    )
    reopens = serializers.IntegerField(
        read_only=True, help_text="resolution: how often the thread was reopened while it ran."
    )
    target = serializers.SerializerMethodField(help_text='Business time, e.g. "1h 30m".')
    target_seconds = serializers.SerializerMethodField()
    used_seconds = serializers.SerializerMethodField(help_text="Business time used so far.")
    left_seconds = serializers.SerializerMethodField(
        help_text="Target minus used; negative once past due."
    )
    used = serializers.SerializerMethodField()
    left = serializers.SerializerMethodField()
    attribution = serializers.SerializerMethodField(
        help_text="Who held the used time: one entry per holder, largest first, none of 0 s; "
        "the seconds sum to used_seconds exactly."
    )
    original_due_at = UTCDateTimeField(
        read_only=True, help_text="The due time the policy gives; objectives count against it."
    )
    overridden = serializers.SerializerMethodField(
        help_text="null, or who moved the due time (or exempted the clock), when and why."
    )
    breach_reason = serializers.SerializerMethodField(
        help_text="null, or why the clock missed: {id, name, excused, note}."
    )

    class Meta:
        model = SlaClock
        fields = [
            "id",
            "metric",
            "state",
            "policy",
            "team",
            "team_id",
            "cycle",
            "reopens",
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
            "attribution",
            "original_due_at",
            "overridden",
            "breach_reason",
        ]
        read_only_fields = fields

    def _team_names(self) -> TeamNames:
        # One look-up per response, shared by every clock of every thread in it.
        return self.context.setdefault("team_names", TeamNames())

    def get_team(self, clock) -> str | None:
        return None if clock.team_id is None else self._team_names()[clock.team_id]

    @extend_schema_field(AttributionPartSerializer(many=True))
    def get_attribution(self, clock):
        return attribution_parts(clock, self._used, self._team_names())

    @extend_schema_field(OverriddenSerializer(allow_null=True))
    def get_overridden(self, clock):
        if clock.overridden_at is None:
            return None
        by = clock.overridden_by
        return {
            "by": by.get_username() if by is not None else None,
            "at": UTCDateTimeField().to_representation(clock.overridden_at),
            "reason": clock.override_reason,
            "exempt": clock.exempt,
        }

    @extend_schema_field(BreachReasonShownSerializer(allow_null=True))
    def get_breach_reason(self, clock):
        reason = clock.breach_reason
        if reason is None:
            return None
        return {
            "id": reason.pk,
            "name": reason.name,
            "excused": reason.excused,
            "note": clock.breach_note,
            "confirmed": clock.breach_reason_confirmed,
        }

    def to_representation(self, clock):
        now = self.context.get("now") or timezone.now()
        self._used, self._left = measure(clock, now)
        return super().to_representation(clock)

    def get_target(self, clock) -> str:
        return format_duration(clock.target_duration)

    def get_target_seconds(self, clock) -> int:
        return whole_seconds(clock.target_duration)

    def get_used_seconds(self, clock) -> int:
        return whole_seconds(self._used)

    def get_left_seconds(self, clock) -> int:
        return whole_seconds(self._left)

    def get_used(self, clock) -> str:
        return format_duration(self._used)

    def get_left(self, clock) -> str:
        return format_duration(self._left)
