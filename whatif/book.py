"""The policy book a replay reads: the active policies, each match worked out once per run, and
for a draft its targets, warnings and hours in place of the saved ones. The clock rules ask the
book (threads.clocks.book.PolicyBook), so the policies themselves are never copied or edited."""

from dataclasses import dataclass, field

from policies import business_time
from policies.models import Calendar, SlaPolicy, SlaTarget, WarningThreshold
from policies.selectors import engine_calendar
from threads.clocks.book import PolicyBook
from threads.models import Thread
from whatif.draft import Draft


@dataclass
class ReplayBook(PolicyBook):
    """The policies for a replay. Which policy a thread matches depends only on its tier,
    priority, channel and team, so each answer is worked out once for the whole run."""

    matches: dict = field(default_factory=dict)
    by_id: dict = field(default_factory=dict)
    draft_targets: dict = field(default_factory=dict)  # target id -> the draft's copy
    draft_thresholds: dict = field(default_factory=dict)  # policy id -> the draft's warnings
    draft_engines: dict = field(default_factory=dict)  # calendar id -> zone -> engine calendar

    @classmethod
    def of(cls, book: PolicyBook) -> "ReplayBook":
        return cls(
            policies=book.policies,
            default_tier_id=book.default_tier_id,
            teams=book.teams,
            by_id={p.pk: p for p in book.policies},
        )

    def match(self, thread: Thread) -> SlaPolicy | None:
        key = (thread.tier_id, thread.priority, thread.channel, thread.team_id)
        if key not in self.matches:
            self.matches[key] = super().match(thread)
        return self.matches[key]

    def policy(self, policy_id: int | None) -> SlaPolicy | None:
        return self.by_id.get(policy_id)

    def target(self, policy: SlaPolicy, *, metric: str, priority: str) -> SlaTarget | None:
        target = super().target(policy, metric=metric, priority=priority)
        return self.draft_targets.get(target.pk, target) if target is not None else None

    def thresholds(self, policy) -> list:
        if isinstance(policy, SlaPolicy) and policy.pk in self.draft_thresholds:
            return self.draft_thresholds[policy.pk]
        return super().thresholds(policy)

    def engine(self, calendar: Calendar | None, zone: str | None) -> business_time.Calendar:
        draft = self.draft_engines.get(calendar.pk) if calendar is not None else None
        return draft(zone) if draft else super().engine(calendar, zone)


def draft_engines(draft: Draft):
    """The engine calendar of the edited calendar as the draft has it, per zone: the replay's
    book measures that calendar's clocks with it instead of the saved hours."""
    calendar = Calendar.objects.get(pk=draft.calendar_id)
    holidays = set(calendar.holidays.values_list("date", flat=True))
    holidays = (holidays - set(draft.holidays_removed)) | set(draft.holidays_added)
    engines: dict[str, business_time.Calendar] = {}

    def engine(zone: str | None) -> business_time.Calendar:
        zone = zone or calendar.time_zone
        if zone not in engines:
            engines[zone] = engine_calendar(
                calendar, zone=zone, weekly=draft.weekly, holidays=holidays
            )
        return engines[zone]

    return engine


def draft_book(book: PolicyBook, draft: Draft) -> ReplayBook:
    """The same active policies, in the same order, answering with the draft's targets, warnings
    and hours where it edits them (the policies themselves are not copied)."""
    replay_book = ReplayBook.of(book)
    policy = replay_book.policy(draft.policy_id)
    if policy is not None:
        for target in policy.targets.all():
            if draft.targets.get(target.pk, target.duration) != target.duration:
                values = {f.attname: getattr(target, f.attname) for f in SlaTarget._meta.fields}
                values["duration"] = draft.targets[target.pk]
                replay_book.draft_targets[target.pk] = SlaTarget(**values)
        if draft.thresholds is not None:
            replay_book.draft_thresholds[policy.pk] = [
                WarningThreshold(policy_id=policy.pk, kind=kind, value=value)
                for kind, value in sorted(draft.thresholds)
            ]
    if draft.calendar_id:
        replay_book.draft_engines[draft.calendar_id] = draft_engines(draft)
    return replay_book
