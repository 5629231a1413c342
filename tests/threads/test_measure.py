"""Time used and time left, read the same way by the queue, the API and the alerts."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import office_calendar, policy, tier
from threads.clocks.measure import measure
from threads.services import thread_create

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def test_time_left_is_the_target_less_the_business_time_used_and_negative_once_past_due():
    tier("Free", default=True)
    policy("Standard", calendar=office_calendar(), targets=[("first_response", "", 60)])
    opened = datetime(2026, 11, 23, 16, 30, tzinfo=BERLIN)  # Monday, 30 minutes before closing
    with time_machine.travel(opened, tick=False):
        thread = thread_create(subject="Printer on fire", first_message="Help").thread
    clock = thread.clocks.get(metric="first_response")
    assert measure(clock, opened + timedelta(minutes=10)) == (
        timedelta(minutes=10),
        timedelta(minutes=50),
    )
    overnight = datetime(2026, 11, 24, 8, 0, tzinfo=BERLIN)  # closed since 17:00
    assert measure(clock, overnight) == (timedelta(minutes=30), timedelta(minutes=30))
    late = datetime(2026, 11, 24, 9, 45, tzinfo=BERLIN)
    assert measure(clock, late) == (timedelta(minutes=75), timedelta(minutes=-15))
