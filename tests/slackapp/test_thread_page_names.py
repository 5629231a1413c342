"""The thread page names who wrote in Slack and what a change came through: the customer's
Slack display name and Slack id on their messages (not a bare "Customer"), and "Slack from
@Carla Customer" in the history (not "integration key")."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.slackapp.conftest import CHANNEL, TEAM, callback, message
from threads.models import Thread

pytestmark = [pytest.mark.django_db]

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def ts(minutes: float) -> float:
    return (MONDAY + timedelta(minutes=minutes)).timestamp()


def by_cells(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip()
            for c in re.findall(r'<td class="muted by">(.*?)</td>', page, re.S)]  # fmt: skip


def test_a_slack_customer_is_named_on_their_messages_and_in_the_history(
    workspace, post_event, client, manager
):
    with time_machine.travel(MONDAY, tick=False):
        post_event(callback(message(ts(0), "Our exports are failing")))
    with time_machine.travel(MONDAY + timedelta(minutes=5), tick=False):
        post_event(callback(message(ts(5), "Looking now", user="UAGENT", thread_ts=ts(0))))
        post_event(callback(message(ts(5.5), "Still broken", thread_ts=ts(0))))
        thread = Thread.objects.get(source=f"slack:{TEAM}", external_id=f"{CHANNEL}:{ts(0):.6f}")
        client.force_login(manager)
        page = client.get(f"/threads/{thread.pk}/").content.decode()
    customer = re.findall(r'<li class="msg customer".*?</li>', page, re.S)
    assert len(customer) == 2
    for html in customer:
        assert "<strong>Carla Customer</strong>" in html
        assert "Slack UCUST" in html
    cells = by_cells(page)
    assert "Slack from @Carla Customer" in cells
    assert not [c for c in cells if "integration key" in c]
    assert "Alex via Slack" in cells or "alex via Slack" in cells  # the agent's answer in Slack
