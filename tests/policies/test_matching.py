"""Which policy a thread gets: first active policy in order whose conditions all match."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.models import Team
from policies.selectors import matching_policy, policy_calendar, target_for
from tests.factories import office_calendar, policy, tier

pytestmark = pytest.mark.django_db


def match(**kwargs):
    defaults = {"tier_id": None, "priority": "normal", "channel": "email", "team_id": None}
    return matching_policy(**{**defaults, **kwargs})


def test_first_matching_policy_in_order_wins():
    gold = tier("Gold")
    policy("Catch-all", order=20)
    vip = policy("Gold customers", order=10, tiers=[gold])
    assert match(tier_id=gold.pk) == vip


def test_inactive_policies_are_skipped():
    gold = tier("Gold")
    policy("Gold customers", order=10, tiers=[gold], active=False)
    fallback = policy("Catch-all", order=20)
    assert match(tier_id=gold.pk) == fallback


def test_account_without_tier_counts_as_the_default_tier():
    free = tier("Free", default=True)
    tier("Gold")
    free_policy = policy("Free", tiers=[free])
    assert match(tier_id=None) == free_policy


def test_all_conditions_must_match():
    support = Team.objects.create(name="Support")
    urgent_chat = policy("Urgent chat", priorities=["urgent"], channels=["chat"], order=10)
    urgent_chat.teams.set([support])
    assert match(priority="urgent", channel="chat", team_id=support.pk) == urgent_chat
    assert match(priority="urgent", channel="email", team_id=support.pk) is None
    assert match(priority="high", channel="chat", team_id=support.pk) is None
    assert match(priority="urgent", channel="chat", team_id=None) is None


def test_no_matching_policy_means_no_sla():
    policy("Urgent only", priorities=["urgent"])
    assert match(priority="low") is None


def test_target_for_the_threads_priority_wins_over_any():
    both = policy(
        "Mixed",
        targets=[("first_response", "", 480), ("first_response", "urgent", 60)],
    )
    assert target_for(both, metric="first_response", priority="urgent").duration.seconds == 3600
    assert target_for(both, metric="first_response", priority="low").duration.seconds == 8 * 3600
    assert target_for(both, metric="resolution", priority="low") is None


def test_customer_time_zone_option_reads_hours_where_the_customer_is():
    calendar = office_calendar(zone="Europe/Berlin", opens=time(9), closes=time(17))
    local = policy("Local hours", calendar=calendar, use_customer_time_zone=True)
    berlin = policy("Berlin hours", calendar=calendar, order=20)
    start = datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("America/New_York"))  # Monday
    in_ny = policy_calendar(local, customer_zone="America/New_York")
    assert in_ny.add(start, timedelta(hours=1)) == datetime(
        2026, 11, 23, 10, 0, tzinfo=ZoneInfo("America/New_York")
    )
    # The plain policy ignores the customer's zone: 08:00 New York is 14:00 Berlin, open.
    in_berlin = policy_calendar(berlin, customer_zone="America/New_York")
    assert in_berlin.add(start, timedelta(hours=1)) == datetime(
        2026, 11, 23, 9, 0, tzinfo=ZoneInfo("America/New_York")
    )


def test_no_calendar_means_around_the_clock():
    around = policy("24/7")
    start = datetime(2026, 11, 28, 23, 30, tzinfo=ZoneInfo("UTC"))  # Saturday night
    assert policy_calendar(around).add(start, timedelta(hours=1)) == (
        datetime(2026, 11, 29, 0, 30, tzinfo=ZoneInfo("UTC"))
    )
