"""What the what-if tests share: the week they replay and small readers of a result."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.apps import apps

from threads.services import agent_reply, thread_create
from whatif.run import whatif

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 1, 12, tzinfo=BERLIN)
SINCE = datetime(2026, 11, 23, tzinfo=BERLIN)
UNTIL = datetime(2026, 11, 28, tzinfo=BERLIN)


def berlin(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


def at(moment):
    return time_machine.travel(moment, tick=False)


def answered(written, after_minutes, agent, subject):
    """A thread whose customer wrote at `written` and got the first reply `after_minutes` later."""
    with at(written):
        thread = thread_create(subject=subject, first_message="Help", created_at=written).thread
    replied = written + timedelta(minutes=after_minutes)
    with at(replied):
        agent_reply(thread=thread, author=agent, body="On it", created_at=replied)
    return thread


def run(draft):
    with at(NOW):
        return whatif(draft=draft, since=SINCE, until=UNTIL)


def frt_target(policy):
    return policy.targets.get(metric="first_response")


def row(result, metric="first_response"):
    return next(r for r in result.rows() if r.metric == metric)


def row_counts():
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        # The run lives in the session; the checklist's "Preview a deadline" tick is the one
        # row a what-if writes (policies.SetupStep), and only the first time.
        if m._meta.label not in ("sessions.Session", "policies.SetupStep")
    }
