"""Demo data for a first look: calendars, tiers, policies from the templates, customers, people.

Idempotent: every object is found by its natural key before it is created, so running the seed
again changes nothing a manager edited.
"""

from dataclasses import dataclass
from datetime import date, time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import Account, AgentProfile, Contact, Team
from accounts.roles import AGENTS, MANAGERS
from policies.models import Calendar, OpeningHours, SlaPolicy, Tier
from policies.services import holidays_import, policies_from_template

MANAGER_LOGIN = ("manager", "slaops-manager")
AGENT_LOGIN = ("agent", "slaops-agent")


@dataclass
class SeedReport:
    created: list[str]


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


def _person(username, password, *, group, staff, zone, first_name, report) -> None:
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"first_name": first_name, "email": f"{username}@example.com", "is_staff": staff},
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
        report.created.append(f"user {username}")
    user.groups.add(Group.objects.get(name=group))
    AgentProfile.objects.get_or_create(user=user, defaults={"time_zone": zone})


@transaction.atomic
def seed_demo() -> SeedReport:
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
    teams = {}
    for name in ["Frontline", "Technical", "Billing"]:
        teams[name], created = Team.objects.get_or_create(name=name)
        if created:
            report.created.append(f"team {name}")
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
    _person(
        *MANAGER_LOGIN,
        group=MANAGERS,
        staff=True,
        zone="Europe/Berlin",
        first_name="Maria",
        report=report,
    )
    _person(
        *AGENT_LOGIN,
        group=AGENTS,
        staff=False,
        zone="Europe/Berlin",
        first_name="Alex",
        report=report,
    )
    User = get_user_model()
    teams["Frontline"].members.add(User.objects.get(username=AGENT_LOGIN[0]))
    return report
