"""The policy book: the configuration the clock rules read, loaded once per request, batch or
import, and cached while the configuration version is the same.

The rules ask the book (never the database) which policy matches, which target and warnings
apply, which engine calendar measures a clock, what a thread's effective tier and customer zone
are. A what-if injects a book that answers with its draft where the draft differs.
"""

from dataclasses import dataclass, field, replace

from accounts.models import Team
from policies import business_time
from policies.models import Calendar, SlaPolicy, SlaTarget, TeamTarget, Tier
from policies.selectors import (
    active_policies,
    business_calendar,
    configuration_version,
    matching_policy,
    target_for,
    team_memberships,
    teams_with_targets,
)
from threads.models import Thread

_cached: tuple | None = None


def forget() -> None:
    """Drop the cached book (tests that rewrite configuration behind the services' back)."""
    global _cached
    _cached = None


@dataclass
class PolicyBook:
    """The active policies, read once per request or import batch."""

    policies: list[SlaPolicy]
    default_tier_id: int | None
    # Set when the book is lent to a thread told again from its history (what-if, rebuild):
    # its account as it was when the thread opened (tier, time zone), read as the live one is.
    account: tuple | None = None
    # The teams that have targets of their own (team id -> team, its calendar, targets,
    # warnings, escalations and alert rules read with it): the only ones whose clocks run.
    teams: dict[int, Team] = field(default_factory=dict)
    # Every user's teams (user id -> team ids), recorded on each message they write.
    members: dict[int, tuple] = field(default_factory=dict)

    @classmethod
    def load(cls, version: int | None = None) -> "PolicyBook":
        """The current configuration; reused while the configuration version (one query of one
        row, changed by every configuration write in its own transaction) is the same. A caller
        that read the version in this transaction (with the thread's lock) gives it."""
        global _cached
        version = configuration_version(version)
        if _cached is not None and _cached[0] == version:
            return _cached[1]
        default = Tier.default()
        book = cls(
            policies=active_policies(),
            default_tier_id=default.pk if default else None,
            teams=teams_with_targets(),
            members=team_memberships(),
        )
        _cached = (version, book)
        return book

    def of_account(self, tier_id: int | None, zone: str | None) -> "PolicyBook":
        """The same book (sharing its caches) for one thread whose account had this tier and
        zone when it opened."""
        return replace(self, account=(tier_id, zone))

    def effective_tier_id(self, thread: Thread) -> int | None:
        """The account's tier, or the default tier for a thread without one."""
        if self.account is not None:
            return self.account[0] if self.account[0] is not None else self.default_tier_id
        account = thread.account if thread.account_id else None
        if account is not None and account.tier_id is not None:
            return account.tier_id
        return self.default_tier_id

    def customer_zone(self, thread: Thread) -> str | None:
        """The time zone of the thread's account (policies may follow the customer's zone)."""
        if self.account is not None:
            return self.account[1]
        return thread.account.time_zone if thread.account_id and thread.account else None

    def match(self, thread: Thread) -> SlaPolicy | None:
        return matching_policy(
            tier_id=thread.tier_id,
            priority=thread.priority,
            channel=thread.channel,
            team_id=thread.team_id,
            policies=self.policies,
        )

    def policy(self, policy_id: int | None) -> SlaPolicy | None:
        return next((p for p in self.policies if p.pk == policy_id), None)

    def target(self, policy: SlaPolicy, *, metric: str, priority: str) -> SlaTarget | None:
        return target_for(policy, metric=metric, priority=priority)

    def thresholds(self, owner: SlaPolicy | Team) -> list:
        """The warnings of a policy's clocks, or of a team's own clocks."""
        return list(owner.thresholds.all())

    def teams_of(self, user) -> tuple:
        """The teams a person belongs to now (recorded on what they write)."""
        return self.members.get(getattr(user, "pk", None), ())

    def team(self, team_id: int | None) -> Team | None:
        """The team, if it has targets of its own."""
        return self.teams.get(team_id) if team_id is not None else None

    def team_target(self, team: Team, *, metric: str, priority: str) -> TeamTarget | None:
        return target_for(team, metric=metric, priority=priority)

    def engine(self, calendar: Calendar | None, zone: str | None) -> business_time.Calendar:
        """The engine calendar the rules measure a clock in (a what-if's book answers with its
        draft hours for the calendar it edits)."""
        return business_calendar(calendar, zone=zone)
