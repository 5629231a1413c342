"""Demo data for a first look: calendars, tiers, policies from the templates, customers, people.

Idempotent: every object is found by its natural key before it is created, so running the seed
again changes nothing a manager edited. The demo people get random passwords, kept in
var/demo-logins.txt (slaops/demo_logins.py), never fixed ones a reader of the README would know.
"""

from dataclasses import dataclass, field
from datetime import date, time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import Account, AgentProfile, Contact, Team
from accounts.roles import AGENTS, MANAGERS
from policies.models import Calendar, OpeningHours, SlaPolicy, Tier
from policies.services import holidays_import, policies_from_template
from slaops.demo_logins import new_password, read_logins, write_logins
from slaops.demo_operator import demo_channel, demo_operator
from slaops.demo_teams import seed_handed_threads, seed_teams
from threads.models import Thread


@dataclass(frozen=True)
class DemoPerson:
    username: str
    first_name: str
    role: str
    staff: bool  # the admin needs it; agents work on the pages and need none
    label: str  # how `make run` introduces the login
    zone: str = "Europe/Berlin"


DEMO_PEOPLE = [
    DemoPerson("manager", "Maria", MANAGERS, True, "Manager login (admin configuration)"),
    DemoPerson("agent", "Alex", AGENTS, False, "Agent login"),
]


@dataclass
class SeedReport:
    created: list[str]
    new_passwords: list[str] = field(default_factory=list)
    operator_password: str = ""  # printed once by the command, kept nowhere
    operator_skipped: str = ""  # why no operator was made


def _calendar(name, zone, hours, country=None, subdivision="", report=None) -> Calendar:
    calendar, created = Calendar.objects.get_or_create(name=name, defaults={"time_zone": zone})
    if created:
        OpeningHours.objects.bulk_create(
            OpeningHours(calendar=calendar, weekday=day, opens=opens, closes=closes)
            for day, opens, closes in hours
        )
        if country:
            this_year = date.today().year
            holidays_import(
                calendar=calendar,
                country=country,
                subdivision=subdivision,
                years=range(this_year - 1, this_year + 3),
            )
        report.created.append(f"calendar {name}")
    return calendar


def _person(person: DemoPerson, *, known_password: str | None, report: SeedReport) -> str:
    """The demo person, and a password that opens their account: the one in the logins file if
    it still does, else a new random one (first seed, file deleted, or an install from before
    the demo had random passwords, whose old fixed ones are thereby retired)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=person.username,
        defaults={
            "first_name": person.first_name,
            "email": f"{person.username}@example.com",
            "is_staff": person.staff,
        },
    )
    if created:
        report.created.append(f"user {person.username}")
    user.groups.add(Group.objects.get(name=person.role))
    AgentProfile.objects.get_or_create(user=user, defaults={"time_zone": person.zone})
    if not created and known_password and user.check_password(known_password):
        return known_password
    password = new_password()
    user.set_password(password)
    user.save(update_fields=["password"])
    report.new_passwords.append(person.username)
    return password


@transaction.atomic
def seed_demo(*, host: str = "127.0.0.1") -> SeedReport:
    """`host`: the address the demo listens on (HOST); the operator is made only on loopback."""
    report = SeedReport(created=[])
    weekdays_9_17 = [(day, time(9), time(17)) for day in range(5)]
    berlin = _calendar("Berlin office", "Europe/Berlin", weekdays_9_17, "DE", "BE", report=report)
    _calendar("New York office", "America/New_York", weekdays_9_17, "US", "NY", report=report)
    _calendar(
        "Around the clock",
        "UTC",
        [(day, time(0), time(0)) for day in range(7)],
        report=report,
    )
    if not SlaPolicy.objects.exists():
        policies_from_template(key="on-call-24-7", calendar=None, active=True)
        policies_from_template(key="b2b-tiers", calendar=berlin, active=True)
        report.created.append("policies from the “24/7 on-call” and “B2B tiers” templates")
    tiers = {t.name: t for t in Tier.objects.all()}
    customers = [
        (
            "Acme GmbH",
            ["acme.de"],
            "Enterprise",
            "Europe/Berlin",
            ["anna@acme.de", "jonas@acme.de"],
        ),
        ("Globex Corp", ["globex.com"], "Enterprise", "America/New_York", ["hank@globex.com"]),
        ("Initech", ["initech.com"], "Standard", "America/Chicago", ["peter@initech.com"]),
        ("Umbrella Ltd", ["umbrella.co.uk"], "Standard", "Europe/London", ["alice@umbrella.co.uk"]),
        ("Hooli", ["hooli.xyz"], None, "America/Los_Angeles", ["gavin@hooli.xyz"]),
        ("Wayne Enterprises", ["wayne.com"], "Free", "America/New_York", ["bruce@wayne.com"]),
        (
            "Tyrell Pty",
            ["tyrell.com.au"],
            "Standard",
            "Australia/Sydney",
            ["rachael@tyrell.com.au"],
        ),
    ]
    for name, domains, tier, zone, emails in customers:
        account, created = Account.objects.get_or_create(
            name=name,
            defaults={"email_domains": domains, "tier": tiers.get(tier), "time_zone": zone},
        )
        if created:
            report.created.append(f"account {name}")
        for email in emails:
            Contact.objects.get_or_create(
                email=email,
                defaults={"account": account, "name": email.split("@")[0].title()},
            )
    known = read_logins()
    logins = {
        p.username: _person(p, known_password=known.get(p.username), report=report)
        for p in DEMO_PEOPLE
    }
    if report.new_passwords or set(known) != set(logins):
        # Written once the accounts are committed, so the file never names a password that a
        # rolled-back seed did not keep; if writing fails, the next seed makes new ones.
        transaction.on_commit(lambda: write_logins(logins))
    demo_operator(report, host=host)
    demo_channel(report)
    User = get_user_model()
    agent = User.objects.get(username="agent")
    teams = seed_teams(report, agent)
    for name in ["Technical", "Billing"]:
        teams[name], created = Team.objects.get_or_create(name=name)
        if created:
            report.created.append(f"team {name}")
    if not Thread.objects.exists():
        _demo_history(report)
        _demo_threads(agent, teams, report)
    from slaops.demo_objectives import seed_objectives

    seed_objectives(report)
    return report


def _demo_history(report, days: int = 42, per_day: int = 6) -> None:
    """Six weeks of finished threads, imported like any history, so every report has figures.

    Answer times vary by agent and weekday so the charts have something to say."""
    import json
    import random
    from datetime import timedelta

    from django.utils import timezone

    from threads.importer import Importer, ImportReport

    rng = random.Random(2026)
    contacts = list(Contact.objects.values_list("email", flat=True))
    people = ["agent", "manager"]
    start = timezone.now().replace(hour=8, minute=0, second=0, microsecond=0)
    lines = []
    for day in range(days, 0, -1):
        for n in range(per_day):
            at = start - timedelta(days=day) + timedelta(minutes=rng.randrange(0, 10 * 60))
            who = rng.choice(people)
            reply = at + timedelta(minutes=rng.choice([10, 25, 40, 55, 90, 150, 300]))
            events = [
                {"type": "customer_message", "at": at.isoformat(), "body": "Something broke"},
                {"type": "agent_reply", "at": reply.isoformat(), "author": who, "body": "Fixed"},
            ]
            if rng.random() < 0.3:
                events.append(
                    {
                        "type": "status",
                        "at": (reply + timedelta(minutes=5)).isoformat(),
                        "status": "waiting_on_customer",
                        "reason": "asked to confirm",
                    }
                )
            if rng.random() < 0.15:
                events.append(
                    {"type": "no_reply_needed", "at": (reply + timedelta(minutes=1)).isoformat()}
                )
            done = reply + timedelta(hours=rng.choice([1, 3, 6, 20, 50]))
            events.append({"type": "status", "at": done.isoformat(), "status": "resolved"})
            lines.append(
                json.dumps(
                    {
                        "source": "demo-history",
                        "external_id": f"h-{day}-{n}",
                        "subject": rng.choice(
                            [
                                "Login fails",
                                "Invoice question",
                                "Export is slow",
                                "API returns 500",
                                "Add a user",
                                "Webhook missing",
                            ]
                        ),
                        "contact_email": rng.choice(contacts),
                        "priority": rng.choice(["urgent", "high", "normal", "normal", "low"]),
                        "channel": rng.choice(["email", "chat", "web", "slack"]),
                        "assignee": who,
                        "created_at": at.isoformat(),
                        "events": events,
                    }
                )
            )
    imported = Importer().run(lines, ImportReport())
    report.created.append(f"{imported.imported} past threads of history")


DEMO_THREADS = [
    # (minutes ago, subject, contact, priority, channel, team, assigned, what happened)
    (
        20,
        "Checkout page shows a blank screen",
        "anna@acme.de",
        "urgent",
        "chat",
        "Technical",
        True,
        "",
    ),
    (
        45,
        "SSO login loops back to the start",
        "hank@globex.com",
        "high",
        "email",
        "Technical",
        True,
        "",
    ),
    (90, "Invoice address is wrong", "peter@initech.com", "normal", "email", "Billing", False, ""),
    (
        150,
        "How do I export my data?",
        "alice@umbrella.co.uk",
        "normal",
        "web",
        "Frontline",
        True,
        "replied",
    ),
    (240, "API rate limit too low", "jonas@acme.de", "high", "api", "Technical", False, ""),
    (
        300,
        "Thanks for the quick fix",
        "gavin@hooli.xyz",
        "low",
        "email",
        "Frontline",
        True,
        "no_reply",
    ),
    (
        600,
        "Webhook deliveries delayed",
        "rachael@tyrell.com.au",
        "normal",
        "slack",
        "Technical",
        True,
        "waiting",
    ),
    (1500, "Add a second admin user", "bruce@wayne.com", "low", "email", "Frontline", False, ""),
    (
        2900,
        "Data import stuck at 90%",
        "hank@globex.com",
        "high",
        "email",
        "Technical",
        True,
        "resolved",
    ),
]


def _demo_threads(agent, teams, report) -> None:
    """A handful of live threads at different ages so every clock state shows up."""
    from datetime import timedelta

    from django.utils import timezone

    from threads import services

    now = timezone.now()
    for minutes, subject, email, priority, channel, team, assigned, story in DEMO_THREADS:
        opened = now - timedelta(minutes=minutes)
        thread = services.thread_create(
            subject=subject,
            first_message=f"{subject}. Can you help?",
            contact=Contact.objects.get(email=email),
            priority=priority,
            channel=channel,
            team=teams[team],
            assignee=agent if assigned else None,
            source="demo",
            external_id=f"demo-{minutes}",
            created_at=opened,
        ).thread
        later = opened + timedelta(minutes=min(10, minutes // 3))
        if story in ("replied", "waiting", "resolved"):
            services.agent_reply(
                thread=thread, author=agent, body="Looking into it now.", created_at=later
            )
        if story == "replied":
            services.message_receive(
                thread=thread,
                body="Still not working for me.",
                created_at=later + timedelta(minutes=5),
            )
        if story == "waiting":
            services.thread_set_status(
                thread=thread,
                status="waiting_on_customer",
                reason="asked for the webhook logs",
                actor=agent,
                at=later + timedelta(minutes=1),
            )
        if story == "no_reply":
            services.thread_mark_no_reply_needed(thread=thread, actor=agent, at=later)
        if story == "resolved":
            services.thread_resolve(thread=thread, actor=agent, at=later + timedelta(minutes=30))
        services.thread_catch_up(thread=thread, at=now)
    report.created.append(f"{len(DEMO_THREADS)} demo threads")
    seed_handed_threads(report, teams, now)
