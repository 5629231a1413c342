"""What the objectives' tests tell: threads opened at a frozen instant and answered (or not) a
while later, on a policy of one first-response hour around the clock (conftest.py)."""

from datetime import UTC, datetime

import time_machine

from threads import services
from threads.models import SlaClock, Thread

START = datetime(2026, 11, 2, 9, tzinfo=UTC)  # a Monday


def at(moment):
    return time_machine.travel(moment, tick=False)


def opened(moment, *, replied_after=None, subject="Export fails", **fields) -> Thread:
    """A thread opened at `moment`; an agent replies `replied_after` later (None: never, so its
    first response breaches an hour in, once caught up)."""
    with at(moment):
        thread = services.thread_create(subject=subject, first_message="Help", **fields).thread
    if replied_after is not None:
        with at(moment + replied_after):
            services.agent_reply(thread=thread, body="On it")
    return thread


def frt(thread) -> SlaClock:
    return SlaClock.objects.get(thread=thread, metric="first_response")
