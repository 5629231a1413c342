"""The timetable has the mail poller and sender; a run polls every tick until its time is up."""

import pytest

from mail import tasks
from slaops.schedules import timetable

pytestmark = pytest.mark.django_db


def test_the_timetable_polls_mailboxes_and_sends_replies_every_minute(settings):
    entries = {e["name"]: e for e in timetable()}
    assert entries["mail-poll"]["func"] == "mail.tasks.poll"
    assert entries["mail-poll"]["minutes"] == settings.MAIL_POLL_EVERY == 1
    assert entries["mail-send"]["func"] == "mail.tasks.send"


def test_a_poll_run_ticks_until_its_time_is_up(settings, monkeypatch):
    settings.MAIL_POLL_TICK_SECONDS, settings.MAIL_POLL_RUN_SECONDS = 15, 40
    now = [0.0]
    polls = []
    monkeypatch.setattr(tasks.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(tasks.time, "sleep", lambda s: now.__setitem__(0, now[0] + s))
    monkeypatch.setattr(tasks, "poll_all", lambda: polls.append(now[0]) or {"support": "0 new"})
    tasks.poll()
    assert polls == [0.0, 15.0, 30.0]  # a fourth at 45 s would be past the run's 40 s


def test_a_poll_run_without_mailboxes_frees_its_worker_at_once(settings, monkeypatch):
    """Two ticking tasks (evaluator, poller) would otherwise hold both default workers for most
    of every minute, and alerts would wait for a free one."""
    settings.MAIL_POLL_TICK_SECONDS, settings.MAIL_POLL_RUN_SECONDS = 15, 40
    monkeypatch.setattr(tasks.time, "sleep", lambda s: pytest.fail("slept without a mailbox"))
    assert tasks.poll() == {}
