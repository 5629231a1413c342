"""Who hears about an SLA event: the outbox rows (deliveries) and in-app notifications that are
written in the same transaction as the event, so an event is never alerted twice or not at all.

A customer's clock alerts by its policy's rules; a team's own clock (team response, team
resolution) by its team's rules (docs/rules.md, "Team alerts"), never the other way round.
"""

import contextlib
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.models import Team
from accounts.roles import MANAGERS
from policies.alert_kinds import ALERT_EVENTS, TRANSPORTS
from policies.models import SlaPolicy
from policies.vocabulary import TEAM_METRICS
from threads.alerting.alert import alert_title, event_label
from threads.alerting.transports import transport_for
from threads.bulk import create_rows
from threads.clocks.measure import engine_for
from threads.models import Delivery, EventKind, Notification, SlaEvent, Thread
from threads.models.loading import built


def held_in_quiet_hours(kind: str) -> bool:
    return kind in TRANSPORTS and TRANSPORTS[kind].held_in_quiet_hours


def _rule_matches(rule, event: SlaEvent) -> bool:
    if event.kind not in rule.events:
        return False
    if rule.metrics and event.clock.metric not in rule.metrics:
        return False
    if event.kind == EventKind.ESCALATED and rule.escalation_levels:
        return event.details.get("level") in rule.escalation_levels
    return True


def _people(rule, thread: Thread, team_id: int | None, cache: dict) -> list:
    """`team_id`: the team a rule's "the team" means: the thread's for a customer's clock, the
    clock's own for a team's (handed on since, its members still hear of its breach)."""
    people = []
    if rule.to_assignee and thread.assignee_id:
        people.append(thread.assignee_id)
    if rule.to_team and team_id:
        key = ("team", team_id)
        if key not in cache:
            cache[key] = _users(cache, teams=team_id, is_active=True)
        people.extend(cache[key])
    if rule.to_managers:
        if "managers" not in cache:
            cache["managers"] = _users(cache, groups__name=MANAGERS, is_active=True)
        people.extend(cache["managers"])
    return people


def _users(cache: dict, **conditions) -> list[int]:
    """The users matching `conditions`, their addresses kept for the e-mail rows."""
    rows = list(get_user_model().objects.filter(**conditions).values_list("pk", "email"))
    cache.setdefault("emails", {}).update(rows)
    return [pk for pk, _ in rows]


def _email(user_id: int, cache: dict) -> str:
    """A person's address; the first one asked for reads those of every assignee of the batch
    (`cache["assignees"]`) with it, so a batch looks addresses up once, not per person."""
    emails: dict[int, str] = cache.setdefault("emails", {})
    if user_id not in emails:
        wanted = ({user_id} | cache.get("assignees", set())) - emails.keys()
        emails.update(dict.fromkeys(wanted, ""))
        emails.update(get_user_model().objects.filter(pk__in=wanted).values_list("pk", "email"))
    return emails[user_id]


def _rules(owner: SlaPolicy | Team, cache: dict) -> list[tuple]:
    """The rules of a policy or a team with their channels, listed once per batch (not per
    event)."""
    key = ("rules", type(owner).__name__, owner.pk)
    if key not in cache:
        cache[key] = [(rule, list(rule.channels.all())) for rule in owner.rules.all()]
    return cache[key]


def _owner(clock, policies: dict, teams: dict) -> SlaPolicy | Team | None:
    """Whose rules a clock's events follow: its team's for a team's clock (a team deleted
    since: nobody's), else its policy's."""
    if clock.team_id is not None:
        return teams.get(clock.team_id)
    if clock.metric in TEAM_METRICS:  # its team was deleted since (team set to null)
        return None
    return policies.get(clock.policy_id)


def outbox_for(
    events: Iterable[SlaEvent],
    thread: Thread,
    policies: dict[int, SlaPolicy],
    cache=None,
    teams: dict[int, Team] | None = None,
) -> tuple[list[Delivery], list[Notification]]:
    """The deliveries and in-app notifications for a thread's new events (not yet saved).

    `policies` maps policy id -> policy, `teams` team id -> team, each with `rules` (and their
    channels) prefetched."""
    cache = {} if cache is None else cache
    teams = teams or {}
    deliveries: list[Delivery] = []
    notifications: list[Notification] = []
    for event in events:
        if event.historical or event.kind not in ALERT_EVENTS or event.clock is None:
            continue
        owner = _owner(event.clock, policies, teams)
        if owner is None:
            continue
        team_id = owner.pk if isinstance(owner, Team) else thread.team_id
        rows: dict[tuple, Delivery] = {}
        in_app: set[int] = set()
        for rule, channels in _rules(owner, cache):
            matched = _rule_matches(rule, event)
            for user_id in _people(rule, thread, team_id, cache) if matched else []:
                if rule.in_app:
                    in_app.add(user_id)
                if rule.by_email and (email := _email(user_id, cache)):
                    key = (Delivery.Kind.EMAIL, email.lower())
                    if key not in rows:
                        rows[key] = built(
                            Delivery,
                            {
                                "event_id": event.pk,
                                "kind": key[0],
                                "recipient": key[1],
                                "user_id": user_id,
                            },
                            {"event": event},
                        )
            for channel in channels:
                transport = transport_for(channel.kind)
                if transport is None or not (matched or transport.follows(rule, event)):
                    continue
                for recipient in transport.recipients(channel):
                    if (channel.kind, recipient) not in rows:
                        rows[channel.kind, recipient] = built(
                            Delivery,
                            {
                                "event_id": event.pk,
                                "kind": channel.kind,
                                "recipient": recipient,
                                "channel_id": channel.pk,
                            },
                            {"event": event, "channel": channel},
                        )
        held_until = None
        # Teams have no "page 24/7": their alerts wait for the team clock's calendar to open.
        if rows and not getattr(owner, "page_24_7", False):
            engine = engine_for(event.clock)
            if not engine.is_open(event.at):
                held_until = engine.next_open(event.at)
        now = timezone.now()
        for delivery in rows.values():
            delivery.next_attempt_at = now
            if held_until is not None and held_in_quiet_hours(delivery.kind) and held_until > now:
                delivery.next_attempt_at = held_until
                delivery.held_for_quiet_hours = True
            deliveries.append(delivery)
        team_name = owner.name if isinstance(owner, Team) else None
        title = alert_title(event, thread, team=team_name) if in_app else ""
        for user_id in sorted(in_app):
            notifications.append(
                built(
                    Notification,
                    {
                        "user_id": user_id,
                        "event_id": event.pk,
                        "thread_id": thread.pk,
                        "title": title,
                        "body": _summary(event),
                    },
                    {"event": event, "thread": thread},
                )
            )
    return deliveries, notifications


def _summary(event: SlaEvent) -> str:
    due = event.details.get("due_at") or (
        event.clock.due_at.isoformat() if event.clock and event.clock.due_at else ""
    )
    return f"{event_label(event.kind)} at {event.at:%Y-%m-%d %H:%M} UTC" + (
        f"; due {due}" if due else ""
    )


def save_outbox(deliveries: list[Delivery], notifications: list[Notification]) -> None:
    """By COPY when there are many (threads.bulk): an evaluator tick may write thousands."""
    create_rows(Delivery, deliveries)
    create_rows(Notification, notifications)


def record_alerts(works) -> None:
    """Outbox rows for the new events of saved clock work (threads.clocks.store.save), in the
    same transaction; delivery starts on commit."""
    policies = {p.pk: p for p in works[0].book.policies}
    # Each event's clock read once (a descriptor lookup; a tick has a thousand events).
    clocks = [c for w in works for e in w.events if (c := e.clock) is not None]
    missing = {c.policy_id for c in clocks if c.policy_id and c.policy_id not in policies}
    if missing:  # a clock of a policy deactivated since it started still alerts by its rules
        policies.update(
            (p.pk, p)
            for p in SlaPolicy.objects.filter(pk__in=missing).prefetch_related("rules__channels")
        )
    teams = _teams_of(works[0].book, clocks)
    cache: dict = {"assignees": {w.thread.assignee_id for w in works if w.thread.assignee_id}}
    all_deliveries, all_notifications = [], []
    for work in works:
        deliveries, notifications = outbox_for(work.events, work.thread, policies, cache, teams)
        all_deliveries.extend(deliveries)
        all_notifications.extend(notifications)
    save_outbox(all_deliveries, all_notifications)
    if all_deliveries:
        transaction.on_commit(kick_delivery)


def _teams_of(book, clocks) -> dict[int, Team]:
    """The teams of the events' team clocks: the book's, and those whose targets were removed
    since their clock started (they still alert by their rules)."""
    teams = dict(book.teams)
    missing = {c.team_id for c in clocks if c.team_id and c.team_id not in teams}
    if missing:
        found = Team.objects.filter(pk__in=missing).prefetch_related("rules__channels")
        teams.update((team.pk, team) for team in found)
    return teams


def kick_delivery() -> None:
    """Start delivering now rather than at the next scheduled run (the schedule still retries).
    A broker hiccup must never fail a write: the scheduled run delivers anyway."""
    if settings.SLA_DELIVER_ON_COMMIT:
        from django_q.tasks import async_task

        with contextlib.suppress(Exception):
            async_task("threads.tasks.deliver", task_name="sla-deliver-now", group="sla-deliver")
