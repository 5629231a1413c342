"""What the importer's stories share: a policy with clocks, the present frozen, and lines of a
file an operator would import."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import office_calendar, policy, tier

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 30, 12, tzinfo=BERLIN)
OPENED = datetime(2026, 11, 23, 10, tzinfo=BERLIN)


def history(number: int, **fields) -> dict:
    """A good line: a customer's message, an agent's reply, the customer's thanks."""
    at = OPENED + timedelta(minutes=number)
    return {
        "source": "legacy",
        "external_id": f"L-{number}",
        "subject": f"Printer {number} on fire",
        "contact_email": f"customer{number % 7}@example.com",
        "created_at": at.isoformat(),
        "events": [
            {"type": "customer_message", "at": at.isoformat(), "body": "help"},
            {
                "type": "agent_reply",
                "at": (at + timedelta(minutes=30)).isoformat(),
                "author": "alex",
                "body": "on it",
            },
            {
                "type": "customer_message",
                "at": (at + timedelta(hours=1)).isoformat(),
                "body": "thanks",
                "needs_reply": False,
            },
        ],
        **fields,
    }


def file_of(tmp_path, lines: list, name="threads.jsonl"):
    """A JSON Lines file: dicts are written as JSON, bytes and text as they are."""
    path = tmp_path / name
    with open(path, "wb") as handle:
        for line in lines:
            if isinstance(line, dict):
                line = json.dumps(line)
            handle.write((line.encode() if isinstance(line, str) else line) + b"\n")
    return path


@pytest.fixture
def standard(agent):
    tier("Free", default=True)
    return policy(
        "Standard",
        calendar=office_calendar(),
        targets=[("first_response", "", 60), ("next_response", "", 120), ("resolution", "", 480)],
        thresholds=[("percent_used", 50)],
        pause_statuses=["waiting_on_customer"],
    )


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW
