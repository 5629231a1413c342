"""The demo's teams and their own promises (OLAs): Frontline answers around the clock and hands
the hard cases to Tier 2; a periodic update and a first resolution target on the customers'
policies; and a few live threads handed Frontline → Tier 2 → back, so the thread page has
something to say about who held the time, one of them with a missed Frontline target.

Idempotent like the rest of the demo: everything is found by its natural key before it is made."""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.models import Team
from accounts.roles import AGENTS
from policies.models import Calendar, SlaPolicy, SlaTarget
from policies.models.teams import TeamAlertRule, TeamTarget, TeamWarning
from policies.vocabulary import Metric

# (team, calendar or None for the policy's, team response, team resolution)
TEAMS = [("Frontline", "Around the clock", "30m", "4h"), ("Tier 2", None, "2h", "8h")]
# Colleagues who work the demo's threads but never sign in (no password: not in the logins file).
COLLEAGUES = [("priya", "Priya", "Tier 2"), ("tom", "Tom", "Frontline")]
# (policy, metric, target): promises beyond first response, next response and resolution.
POLICY_TARGETS = [
    ("Urgent on-call (24/7)", Metric.PERIODIC_UPDATE, "1h"),
    ("Urgent on-call (24/7)", Metric.FIRST_RESOLUTION, "3h"),
    ("Enterprise", Metric.PERIODIC_UPDATE, "4h"),
    ("Enterprise", Metric.FIRST_RESOLUTION, "16h"),
]


def _duration(text: str) -> timedelta:
    from slaops.formatting import parse_duration

    return parse_duration(text)


def seed_teams(report, agent) -> dict[str, Team]:
    """Frontline and Tier 2 with members, targets, a warning and an alert rule; the extra
    targets on the customers' policies."""
    calendars = {c.name: c for c in Calendar.objects.all()}
    teams = {}
    for name, calendar, response, resolution in TEAMS:
        team, created = Team.objects.get_or_create(
            name=name, defaults={"calendar": calendars.get(calendar)}
        )
        if created:
            report.created.append(f"team {name}")
        teams[name] = team
        for metric, duration in (
            (Metric.TEAM_RESPONSE, response),
            (Metric.TEAM_RESOLUTION, resolution),
        ):
            _, made = TeamTarget.objects.get_or_create(
                team=team, metric=metric, priority="", defaults={"duration": _duration(duration)}
            )
            if made:
                report.created.append(f"{name}'s {Metric(metric).label.lower()} target")
    teams["Frontline"].members.add(agent)
    User = get_user_model()
    for username, first_name, team in COLLEAGUES:
        person, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first_name, "email": f"{username}@example.com"},
        )
        if created:
            person.set_unusable_password()
            person.save(update_fields=["password"])
            person.groups.add(Group.objects.get(name=AGENTS))
            report.created.append(f"colleague {username}")
        teams[team].members.add(person)
    _, made = TeamWarning.objects.get_or_create(
        team=teams["Frontline"], kind=TeamWarning.Kind.PERCENT_USED, value=75
    )
    if made:
        report.created.append("Frontline's warning at 75%")
    if not TeamAlertRule.objects.filter(team=teams["Frontline"]).exists():
        TeamAlertRule.objects.create(
            team=teams["Frontline"],
            events=["warning", "breaching", "breached"],
            to_team=True,
            in_app=True,
            by_email=False,
        )
        report.created.append("Frontline's alert rule")
    policies = {
        p.name: p for p in SlaPolicy.objects.filter(name__in={p for p, _, _ in POLICY_TARGETS})
    }
    for name, metric, duration in POLICY_TARGETS:
        if name not in policies:
            continue
        _, made = SlaTarget.objects.get_or_create(
            policy=policies[name],
            metric=metric,
            priority="",
            defaults={"duration": _duration(duration)},
        )
        if made:
            report.created.append(f"{Metric(metric).label.lower()} target on {name}")
    return teams


@dataclass(frozen=True)
class Step:
    minutes: int  # after the thread opened
    what: str  # "reply", "note", "team", "status", "customer"
    who: str = ""  # the author's username, the team's name or the status
    text: str = ""


# (minutes ago, subject, contact, priority, steps): live threads handed between the teams.
HANDED_THREADS = [
    (
        180,
        "Payment webhook returns 502",
        "anna@acme.de",
        "urgent",
        [
            Step(10, "reply", "agent", "Thanks, we see the 502s too and are on it."),
            Step(25, "team", "Tier 2", "needs a look at the gateway logs"),
            Step(45, "note", "priya", "The gateway times out talking to the payment provider."),
            Step(60, "status", "on_hold", "waiting on the payment provider"),
            Step(100, "status", "open", "the provider fixed their side"),
            Step(128, "team", "Frontline", "fixed on our side; Frontline confirms it"),
            Step(139, "reply", "agent", "A fix is live: can you try again?"),
        ],
    ),
    (
        95,
        "Refund not received after cancellation",
        "hank@globex.com",
        "urgent",
        [
            # Nobody in Frontline answered within its 30 minutes: its target breached.
            Step(40, "team", "Tier 2", "refunds go through the payment provider"),
            Step(55, "note", "priya", "Refund stuck at the provider, chasing them."),
        ],
    ),
    (
        420,
        "Invoice PDF shows the wrong VAT rate",
        "peter@initech.com",
        "normal",
        [
            Step(20, "reply", "tom", "Thanks for telling us, checking the invoice now."),
            Step(60, "team", "Tier 2", "tax rules are Tier 2's"),
            Step(90, "note", "priya", "Rate table was stale; regenerated the invoice."),
            Step(150, "team", "Frontline", "send the corrected invoice"),
            Step(165, "reply", "tom", "Here is the corrected invoice."),
            Step(170, "status", "resolved", "corrected invoice sent"),
            Step(300, "customer", "", "The credit note still shows the old rate."),
        ],
    ),
]


def seed_handed_threads(report, teams: dict[str, Team], now) -> None:
    """The stories as an import replays them, each in its order: nothing is caught up to now in
    between, so their histories hold no corrections, and what is past is history, not alerts."""
    import json

    from threads.importer import Importer, ImportReport

    lines = []
    for minutes, subject, email, priority, steps in HANDED_THREADS:
        opened = now - timedelta(minutes=minutes)
        events = [
            {"type": "customer_message", "at": opened.isoformat(), "body": f"{subject}: help?"}
        ]
        for step in steps:
            at = (opened + timedelta(minutes=step.minutes)).isoformat()
            if step.what in ("reply", "note"):
                kind = "agent_reply" if step.what == "reply" else "note"
                events.append({"type": kind, "at": at, "author": step.who, "body": step.text})
            elif step.what == "team":
                change = {"team": step.who, "actor": "manager", "reason": step.text}
                events.append({"type": "team", "at": at, **change})
            elif step.what == "status":
                change = {"status": step.who, "actor": "agent", "reason": step.text}
                events.append({"type": "status", "at": at, **change})
            else:
                events.append({"type": "customer_message", "at": at, "body": step.text})
        line = {
            "source": "demo",
            "external_id": f"demo-handed-{minutes}",
            "subject": subject,
            "contact_email": email,
            "priority": priority,
            "channel": "email",
            "team": teams["Frontline"].name,
            "assignee": "agent",
            "created_at": opened.isoformat(),
            "events": events,
        }
        lines.append(json.dumps(line))
    Importer().run(lines, ImportReport())
    report.created.append(f"{len(HANDED_THREADS)} threads handed between Frontline and Tier 2")
