"""The alert as recipients read it: its title, the clock states it moves between and the thread
it links to, read from the database once so that transports only do network work."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from policies.alert_kinds import ALERT_EVENTS
from policies.templatetags.slaops_time import in_zone
from policies.vocabulary import Metric
from slaops.formatting import format_time_left, parse_duration
from threads.models import ClockState, Delivery, EventKind, SlaEvent, Thread


def thread_url(thread: Thread) -> str:
    """The one place that knows where a thread is read; alerts link to the agents' thread page."""
    from django.urls import reverse

    return settings.SITE_URL + reverse("thread", args=[thread.pk])


BEFORE_DUE = " before due"  # how a "minutes before due" threshold's label ends (policies.Threshold)


def _in_words(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours, rest = divmod(minutes, 60)
    hours_text = f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hours_text} {rest} minute{'s' if rest != 1 else ''}" if rest else hours_text


def warning_title(metric: str, threshold: str) -> str:
    """ "First response: 50% of the target used", "First response due in 5 minutes": each
    threshold of a clock reads differently (its label as policies.Threshold writes it)."""
    if threshold.endswith(BEFORE_DUE):
        try:
            before = parse_duration(threshold.removesuffix(BEFORE_DUE))
        except ValueError:
            return f"{metric} due soon ({threshold})"
        return f"{metric} due in {_in_words(before)}"
    return f"{metric}: {threshold}" if threshold else f"{metric} due soon"


# Labels by value, built once: get_FOO_display() builds the whole choices mapping per call,
# which an evaluator tick alerting a thousand events would do thousands of times.
_EVENT_LABELS = dict(EventKind.choices)
_METRIC_LABELS = dict(Metric.choices)


def event_label(kind: str) -> str:
    """As SlaEvent.get_kind_display()."""
    return str(_EVENT_LABELS.get(kind, kind))


def team_of(clock) -> dict | None:
    """{"id", "name"} of a team's own clock's team (select it related); None for a customer's."""
    if clock is None or not clock.team_id:
        return None
    return {"id": clock.team_id, "name": clock.team.name}


def alert_title(event: SlaEvent, thread: Thread, *, team: str | None = None) -> str:
    """What an alert is called everywhere (e-mail subject, Slack, notification): a warning names
    its threshold, so the 50 % and the 5-minute warnings of one clock read differently. A team's
    clock names its team first: "Tier 2: team response breaching: #12 …" (`team`: its name,
    read from the clock's team when not given)."""
    clock = event.clock if event.clock_id else None
    metric = str(_METRIC_LABELS.get(clock.metric, clock.metric)) if clock else "SLA"
    if team is None and clock is not None and clock.team_id:
        team = clock.team.name
    if team:
        metric = metric[:1].lower() + metric[1:]
    declared = ALERT_EVENTS.get(event.kind)
    if event.kind == EventKind.WARNING and event.details.get("threshold"):
        what = warning_title(metric, str(event.details["threshold"]))
    else:
        what = (
            declared.title.format(metric=metric, level=event.details.get("level"))
            if declared
            else event_label(event.kind)
        )
    if team:
        what = f"{team}: {what}"
    return f"{what}: #{thread.pk} {thread.subject}"[:300]


def state_transition(event: SlaEvent) -> tuple[str | None, str]:
    """(previous, current) clock state of an alerted event, named as in the webhook."""
    clock = event.clock
    warned = bool(clock and clock.warnings_passed)
    imminent = ClockState.IMMINENT_BREACH
    running = imminent if warned else ClockState.PENDING
    if event.kind == EventKind.WARNING:  # a second threshold finds the clock imminent already
        return (imminent if event.details.get("index", 1) > 1 else ClockState.PENDING), imminent
    if event.kind == EventKind.BREACHING:
        return running, ClockState.BREACHING
    if event.kind == EventKind.ESCALATED:
        return ClockState.BREACHING, ClockState.BREACHING
    if event.kind == EventKind.ACHIEVED:
        return running, ClockState.ACHIEVED
    if event.kind == EventKind.BREACHED:
        return ClockState.BREACHING, ClockState.BREACHED
    if event.kind == EventKind.CANCELLED:
        was = ClockState.BREACHING if clock and clock.breached_at else running
        return was, ClockState.CANCELLED
    return None, clock.state if clock else ""


@dataclass(frozen=True)
class Alert:
    """Everything a transport says about one event, read from the database before sending so
    that transports only do network work."""

    title: str
    event_kind: str
    event_label: str
    at: datetime
    issued_at: datetime
    thread_id: int | None
    subject: str
    account: str
    priority: str
    priority_label: str
    status: str
    source: str
    external_id: str
    metric: str
    metric_label: str
    previous_state: str | None
    current_state: str
    due_at: datetime | None
    zone: str
    time_left: timedelta | None
    policy: str
    link: str
    event_id: int | None = None
    clock_id: int | None = None  # PagerDuty's dedup_key: one incident per clock
    clock_state: str = ""  # the clock's state when the alert was read (it may have moved on)
    details: dict = field(default_factory=dict)
    is_test: bool = False
    # An objective's alert (objectives/alerts.py): id, name, metric, target_percent, period,
    # status and status_label; None for a clock's.
    objective: dict | None = None
    # A team's own clock (team response, team resolution): {"id", "name"} of its team.
    team: dict | None = None
    # An operator alert (slaops/health/incidents.py): {"incident": id, "problem": key such as
    # "channel:3", "recovered": bool}; None for every other alert.
    operator: dict | None = None

    @property
    def current_state_label(self) -> str:
        if self.objective is not None:
            return self.objective["status_label"]
        return ClockState(self.current_state).label if self.current_state else ""

    @property
    def event_text(self) -> str:
        """What happened, said once: "Breaching", not "Breaching (Breaching)"; the clock's state
        only where it adds something: "Warning (the clock is now imminent breach)"."""
        state = self.current_state_label
        if self.is_test or not state or state.lower() == self.event_label.lower():
            return self.event_label
        return f"{self.event_label} (the clock is now {state.lower()})"

    @property
    def due_text(self) -> str:
        """ "Mon 23 Nov 2026 05:00 EST": the due time in the reader's zone."""
        return in_zone(self.due_at, self.zone)

    @property
    def time_left_text(self) -> str:
        return format_time_left(self.time_left)


def recipient_zone(delivery: Delivery) -> str | None:
    """The zone a person chose in their profile; None for channels and people without one."""
    user = delivery.user if delivery.user_id else None
    profile = getattr(user, "agent_profile", None) if user is not None else None
    return profile.time_zone if profile is not None else None


def alert_for(delivery: Delivery, *, now: datetime | None = None) -> Alert:
    """Read the delivery's event, thread and clock (select_related them) into an Alert; an
    objective's event is read by objectives.alerts."""
    from threads.clocks.measure import measure

    if delivery.objective_event_id:
        from objectives.alerts import objective_alert

        return objective_alert(delivery)
    now = now or timezone.now()
    event = delivery.event
    thread = event.thread
    clock = event.clock
    previous, current = state_transition(event)
    team = team_of(clock)
    due_at = clock.due_at if clock else None
    if due_at is None and event.details.get("due_at"):
        due_at = datetime.fromisoformat(event.details["due_at"])
    return Alert(
        title=alert_title(event, thread, team=team["name"] if team else None),
        event_kind=event.kind,
        event_label=event.get_kind_display(),
        at=event.at,
        issued_at=delivery.created_at,
        thread_id=thread.pk,
        subject=thread.subject,
        account=thread.account.name if thread.account_id and thread.account else "",
        priority=thread.priority,
        priority_label=thread.get_priority_display(),
        status=thread.status,
        source=thread.source,
        external_id=thread.external_id,
        metric=clock.metric if clock else "",
        metric_label=clock.get_metric_display() if clock else "",
        previous_state=previous,
        current_state=current,
        due_at=due_at,
        zone=recipient_zone(delivery) or (clock.zone if clock else "UTC"),
        time_left=measure(clock, now)[1] if clock else None,
        policy=clock.policy.name if clock and clock.policy_id and clock.policy else "",
        link=thread_url(thread),
        event_id=event.pk,
        clock_id=clock.pk if clock else None,
        clock_state=clock.state if clock else "",
        details=dict(event.details),
        team=team,
    )


def sample_alert(*, now: datetime | None = None) -> Alert:
    """What the admin's "Send a test alert" sends: clearly a test, shaped like a real one."""
    now = now or timezone.now()
    return Alert(
        title="Test alert from SLA Ops",
        event_kind="test",
        event_label="Test",
        at=now,
        issued_at=now,
        thread_id=None,
        subject="Test alert: this channel is set up correctly",
        account="",
        priority="normal",
        priority_label="Normal",
        status="open",
        source="slaops",
        external_id="",
        metric="first_response",
        metric_label="First response",
        previous_state=ClockState.PENDING,
        current_state=ClockState.IMMINENT_BREACH,
        due_at=now + timedelta(hours=1),
        zone=timezone.get_default_timezone_name(),
        time_left=timedelta(hours=1),
        policy="",
        link=settings.SITE_URL + "/admin/",
        is_test=True,
    )
