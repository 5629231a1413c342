"""Helpers the agents' pages' tests share: Berlin times, frozen clocks, reading the queue."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from threads import services
from threads.models import SlaClock

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)  # 23 Nov 2026 is a Monday


def at(moment):
    return time_machine.travel(moment, tick=False)


def open_thread(moment, subject="Printer on fire", **fields):
    with at(moment):
        return services.thread_create(subject=subject, first_message="Help!", **fields).thread


def get(client, moment, url, **params):
    with at(moment):
        return client.get(url, params)


def html(response) -> str:
    return response.content.decode()


def running_rows(response) -> list[tuple[str, int, str]]:
    """(state, thread id, metric) of each running row, top to bottom."""
    page = html(response)
    body = page[page.index('id="queue-rows"') :]
    body = body[: body.index("</tbody>")]
    rows = re.findall(r'<tr class="state-(\w+)" data-clock="(\d+)" data-thread="(\d+)"', body)
    metrics = dict(SlaClock.objects.values_list("pk", "metric"))
    return [(state, int(thread), metrics[int(clock)]) for state, clock, thread in rows]


def queue_threads(response) -> list[int]:
    return [thread for _, thread, _ in running_rows(response)]


def paused_section(response) -> str:
    page = html(response)
    return page[page.index('id="paused"') :]


def post(client, moment, url, data=None):
    with at(moment):
        return client.post(url, data or {})


def clock_state(thread, metric):
    return SlaClock.objects.filter(thread=thread, metric=metric).latest("started_at").state


def bell(client) -> int:
    page = html(client.get("/queue/"))
    return int(re.search(r'id="bell-count">(\d+)<', page).group(1))
