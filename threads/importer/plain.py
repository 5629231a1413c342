"""The rows an import replays on: plain slotted objects with the attributes of the models the
clock rules read and write (Thread, SlaClock, SlaEvent, Message), not model instances.

A history is told to the same rules (`Clockwork`) the live services use; only what a new clock
or event is made of differs. Building ~30 model instances per thread cost more than the rules
themselves; these cost a tuple's worth, and are written as rows with COPY (rows.py).

A relation the rules assign as an object (a clock's policy, target, calendar; a thread's policy)
keeps the object and its key, as Django's descriptors do. A parent saved in the same batch (the
thread of a clock, the clock of an event, a new contact) is kept as the object, its key read
when the row is written.
"""

from datetime import timedelta

from policies.vocabulary import Metric
from threads.clocks.book import PolicyBook
from threads.clocks.rules import Clockwork
from threads.models import CLOSED_STATUSES, RUNNING_STATES, ClockState
from threads.models import Thread as ThreadModel

_METRIC_LABELS = dict(Metric.choices)


class _Related:
    """A foreign key set as an object: keeps the object and sets `<name>_id` to its key."""

    def __set_name__(self, owner, name):
        self.slot, self.attname = f"_{name}", f"{name}_id"

    def __get__(self, obj, owner=None):
        return self if obj is None else getattr(obj, self.slot)

    def __set__(self, obj, value):
        setattr(obj, self.slot, value)
        setattr(obj, self.attname, None if value is None else value.pk)


class _Key:
    """The key of a parent written in the same batch (known only once it is written)."""

    def __init__(self, name):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        parent = getattr(obj, self.name)
        return None if parent is None else parent.pk


class _Plain:
    __slots__ = ("id",)

    @property
    def pk(self):
        return self.id

    @pk.setter
    def pk(self, value):
        self.id = value


class PlainThread(_Plain):
    __slots__ = (
        "subject",
        "account",
        "account_id",
        "contact",
        "channel",
        "priority",
        "status",
        "tier_id",
        "assignee_id",
        "team_id",
        "_policy",
        "policy_id",
        "source",
        "external_id",
        "created_at",
        "updated_at",
        "first_response_started",
        "last_response_at",
        "last_customer_message_at",
        "update_cycles",
    )
    policy = _Related()
    contact_id = _Key("contact")

    def __init__(
        self,
        *,
        subject,
        account,
        contact,
        channel,
        priority,
        team_id,
        assignee_id,
        source,
        external_id,
        created_at,
    ):
        self.id = None
        self.subject = subject
        self.account = account
        self.account_id = account.pk if account is not None else None
        self.contact = contact
        self.channel = channel
        self.priority = priority
        self.status = _THREAD_STATUS
        self.tier_id = None
        self.assignee_id = assignee_id
        self.team_id = team_id
        self._policy = self.policy_id = None
        self.source = source
        self.external_id = external_id
        self.created_at = created_at
        self.updated_at = None  # written as the batch's instant, as auto_now would
        self.first_response_started = False
        self.last_response_at = None
        self.last_customer_message_at = None
        self.update_cycles = 0

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


_THREAD_STATUS = ThreadModel._meta.get_field("status").get_default()


class PlainClock(_Plain):
    __slots__ = (
        "thread",
        "metric",
        "team_id",
        "cycle",
        "reopens",
        "attribution",
        "_policy",
        "policy_id",
        "_target",
        "target_id",
        "target_duration",
        "_calendar",
        "calendar_id",
        "zone",
        "warnings",
        "warnings_passed",
        "started_at",
        "used",
        "running_since",
        "paused",
        "ever_paused",
        "warn_at",
        "due_at",
        "state",
        "stopped_at",
        "breached_at",
        "escalations",
        "escalations_fired",
        "escalate_at",
        "paused_at",
        "paused_for",
        "holder_id",
        "original_due_at",
        "override_due_at",
        "overridden_by_id",
        "overridden_at",
        "override_reason",
        "exempt",
        "missed_at",
        "counted_as",
        "counted_at",
        "scope_tier",
        "scope_account",
        "scope_team",
        "scope_priority",
        "scope_channel",
        "breach_reason_id",
        "breach_note",
        "breach_reason_by_id",
        "breach_reason_at",
        "breach_reason_confirmed",
    )
    policy = _Related()
    target = _Related()
    calendar = _Related()
    thread_id = _Key("thread")

    def __init__(
        self,
        *,
        thread,
        metric,
        policy,
        target,
        target_duration,
        calendar,
        zone,
        warnings,
        escalations,
        started_at,
        running_since,
        team_id=None,
        cycle=None,
    ):
        self.id = None
        self.thread = thread
        self.metric = metric
        self.team_id = team_id
        self.cycle = cycle
        self.reopens = 0
        self.attribution = {}
        self.policy = policy
        self.target = target
        self.target_duration = target_duration
        self.calendar = calendar
        self.zone = zone
        self.warnings = warnings
        self.warnings_passed = 0
        self.started_at = started_at
        self.used = _NO_TIME
        self.running_since = running_since
        self.paused = self.ever_paused = False
        self.warn_at = self.due_at = self.stopped_at = self.breached_at = None
        self.state = ClockState.PENDING
        self.escalations = escalations
        self.escalations_fired = 0
        self.escalate_at = self.paused_at = None
        self.paused_for = _NO_TIME
        self.holder_id = None
        self.original_due_at = self.override_due_at = self.overridden_at = None
        self.overridden_by_id = self.breach_reason_id = self.breach_reason_by_id = None
        self.override_reason = self.breach_note = self.counted_as = ""
        self.exempt = self.breach_reason_confirmed = False
        self.missed_at = self.counted_at = self.breach_reason_at = None
        self.scope_tier = self.scope_account = self.scope_team = None
        self.scope_priority = self.scope_channel = ""

    @property
    def is_running(self) -> bool:
        return self.state in RUNNING_STATES

    def get_metric_display(self) -> str:
        return _METRIC_LABELS.get(self.metric, self.metric)


_NO_TIME = timedelta()


class PlainEvent(_Plain):
    __slots__ = ("thread", "clock", "kind", "at", "actor_id", "details", "historical")
    thread_id = _Key("thread")
    clock_id = _Key("clock")
    recorded_at = None  # written as the batch's instant, as the model's default would

    @classmethod
    def recorded(cls, **values) -> "PlainEvent":  # as SlaEvent.recorded
        return cls(**values)

    def __init__(self, *, thread, clock, kind, at, actor, details, historical):
        self.id = None
        self.thread = thread
        self.clock = clock
        self.kind = kind
        self.at = at
        self.actor_id = None if actor is None else actor.pk
        self.details = details
        self.historical = historical


class PlainMessage(_Plain):
    __slots__ = (
        "thread",
        "author_kind",
        "author_user_id",
        "contact",
        "public",
        "automatic",
        "needs_reply",
        "body",
        "created_at",
        "external_id",
        "author_teams",
    )
    thread_id = _Key("thread")
    contact_id = _Key("contact")

    def __init__(
        self,
        *,
        thread,
        author_kind,
        body,
        created_at,
        external_id,
        automatic,
        author_user=None,
        contact=None,
        public=True,
        needs_reply=True,
        author_teams=(),
    ):
        self.id = None
        self.thread = thread
        self.author_kind = author_kind
        self.author_user_id = None if author_user is None else author_user.pk
        self.contact = contact
        self.public = public
        self.automatic = automatic
        self.needs_reply = needs_reply
        self.body = body
        self.created_at = created_at
        self.external_id = external_id
        self.author_teams = list(author_teams)


class PlainClockwork(Clockwork):
    """The same rules, making plain clocks and events, with what a policy gives every clock it
    starts (warnings, escalations) worked out once per policy and target."""

    clock_type = PlainClock
    event_type = PlainEvent

    def _warnings(self, owner, target):
        key = ("warnings", type(owner).__name__, owner.pk, target)
        return self.book.once(key, super()._warnings, owner, target)

    def _escalations(self, owner):
        key = ("escalations", type(owner).__name__, owner.pk)
        return self.book.once(key, Clockwork._escalations, owner)

    def engine(self, clock):
        # Asked for every measure of every clock: one lookup by the clock's own keys.
        key = (clock.calendar_id, clock.zone)
        found = self.book.engines.get(key)
        if found is None:
            found = self.book.engines[key] = super().engine(clock)
        return found


class ImportBook(PolicyBook):
    """The policy book of one import: the same answers, each worked out once per run (an import
    asks the same few questions for every thread)."""

    @classmethod
    def of(cls, book: PolicyBook) -> "ImportBook":
        memo = cls(
            policies=book.policies,
            default_tier_id=book.default_tier_id,
            account=book.account,
            teams=book.teams,
            members=book.members,
        )
        memo.answers, memo.engines = {}, {}
        return memo

    def once(self, key, work, *args, **kwargs):
        try:
            return self.answers[key]
        except KeyError:
            found = self.answers[key] = work(*args, **kwargs)
            return found

    def match(self, thread):
        key = ("match", thread.tier_id, thread.priority, thread.channel, thread.team_id)
        return self.once(key, super().match, thread)

    def policy(self, policy_id):
        return self.once(("policy", policy_id), super().policy, policy_id)

    def target(self, policy, *, metric, priority):
        key = ("target", policy.pk, metric, priority)
        found = self.answers.get(key, self)
        if found is self:
            found = self.answers[key] = super().target(policy, metric=metric, priority=priority)
        return found

    def thresholds(self, owner):
        key = ("thresholds", type(owner).__name__, owner.pk)
        return self.once(key, super().thresholds, owner)

    def team_target(self, team, *, metric, priority):
        key = ("team_target", team.pk, metric, priority)
        found = self.answers.get(key, self)
        if found is self:
            found = self.answers[key] = super().team_target(team, metric=metric, priority=priority)
        return found

    def engine(self, calendar, zone):
        key = ("engine", calendar.pk if calendar is not None else None, zone)
        return self.once(key, super().engine, calendar, zone)
