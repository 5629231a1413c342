"""The catch-up: what the Events API did not bring (our site down longer than Slack's retries, an
event lost on the way) read back from Slack's Web API and fed to the same path as events
(slackapp/messages.py), which records each (workspace, channel, ts) once. A message caught up
keeps its own Slack time, so its clocks count from when it was written.

Every few minutes and when a cluster starts (slaops/schedules.py), for each enabled workspace:
1. the first messages that replies are waiting for (conversations.replies brings the parent
   and its replies);
2. each connected channel's conversations.history after the last ts the catch-up read (never
   before the channel was connected): new questions;
3. conversations.replies of every tracked Slack thread not resolved or closed, and of those
   resolved or closed within RESOLVED_WINDOW (a customer writing again reopens one, as their
   event would), after the last reply the catch-up read in it; the longest unchecked first, so
   a run that runs out of calls leaves the others for the next run.
The cursors move only with what the catch-up itself read: an event arriving after a gap must not
hide what the gap lost. A 429 stops the workspace's run until Slack's Retry-After has passed;
the next run goes on from the cursors. Each run makes at most MAX_CALLS calls per workspace."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from policies.vocabulary import ThreadStatus
from slackapp import installs, messages, people, web
from slackapp.inbound import MAPPING_ERRORS
from slackapp.models import SlackApp, SlackChannel, SlackMessage
from threads.models import Thread

PAGE = 200  # messages a call asks for
MAX_CALLS = 40  # per workspace and run; Slack's Tier 3 methods allow about 50 a minute
PENDING_GRACE = timedelta(minutes=1)  # a parent's own event is usually on its way
DEFAULT_WAIT = 60  # seconds, when a 429 names no Retry-After
# Resolved or closed threads whose replies are still read: a customer writing again reopens one
# (threads/clocks/rules.py), whether their event or the catch-up brings the message.
RESOLVED_WINDOW = timedelta(days=7)


class RateLimited(Exception):
    def __init__(self, seconds: int):
        super().__init__(f"rate limited for {seconds}s")
        self.seconds = seconds


class OutOfCalls(Exception):
    """This run's calls are spent; the next run goes on from the cursors."""


@dataclass
class Report:
    calls: int = 0
    read: int = 0
    recorded: int = 0
    waiting_until: str = ""


def catch_up(now=None) -> dict[str, Report]:
    now = now or timezone.now()
    reports = {}
    for app in SlackApp.objects.filter(enabled=True).exclude(bot_token=""):
        if app.catch_up_not_before and app.catch_up_not_before > now:
            reports[app.team_id or app.enterprise_id] = Report(
                waiting_until=app.catch_up_not_before.isoformat()
            )
            continue
        reports[app.team_id or app.enterprise_id] = _Run(app, now).run()
    return reports


class _Run:
    def __init__(self, app: SlackApp, now):
        self.app, self.now, self.report = app, now, Report()
        self.channels = {c.channel_id: c for c in SlackChannel.objects.filter(app=app)}

    def run(self) -> Report:
        installs.learn_org_teams(self.app)  # an org-wide install: its workspaces may change
        try:
            self._waiting_parents()
            for channel in self.channels.values():
                self._history(channel)
            self._open_threads()
        except OutOfCalls:
            pass
        except RateLimited as wait:
            until = self.now + timedelta(seconds=wait.seconds)
            SlackApp.objects.filter(pk=self.app.pk).update(catch_up_not_before=until)
            self.report.waiting_until = until.isoformat()
        except web.SlackFailure as failure:
            SlackApp.objects.filter(pk=self.app.pk).update(
                last_error=f"catch-up: {failure.message}"[:300], last_error_at=self.now
            )
        return self.report

    def _call(self, method: str, **arguments) -> dict:
        if self.report.calls >= MAX_CALLS:
            raise OutOfCalls
        self.report.calls += 1
        try:
            return web.call(self.app, method, **arguments)
        except web.SlackFailure as failure:
            if failure.retry_after is not None or "429" in failure.message:
                raise RateLimited(failure.retry_after or DEFAULT_WAIT) from None
            raise

    def _read(self, method: str, **arguments) -> tuple[list[dict], bool]:
        """Every page of a conversations.* read: (messages, complete)."""
        found, cursor = [], ""
        while True:
            paging = {"limit": PAGE, **({"cursor": cursor} if cursor else {})}
            data = self._call(method, **arguments, **paging)
            found += [m for m in data.get("messages") or [] if isinstance(m, dict)]
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or ""
            if not data.get("has_more") or not cursor:
                return found, True
            if self.report.calls >= MAX_CALLS:
                return found, False

    def _feed(self, channel: SlackChannel, found: list[dict]) -> str:
        """Record what was read, oldest first; the newest ts read."""
        newest = ""
        for body in sorted(found, key=_ts_key):
            ts = body.get("ts")
            if not isinstance(ts, str):
                continue
            self.report.read += 1
            newest = max(newest, ts, key=_ts_key)
            body = {**body, "channel": channel.channel_id}
            people.prepare(self.app, messages.authors(body))  # outside any transaction
            try:
                status, _ = messages.record(
                    self.app, channel, body, shared=channel.externally_shared, via="catch-up"
                )
            except MAPPING_ERRORS as error:
                _failed(self.app, channel, body, error)
                continue
            self.report.recorded += status == messages.RECORDED
        return newest

    def _waiting_parents(self) -> None:
        waiting = SlackMessage.objects.filter(
            app=self.app, status=messages.PENDING, seen_at__lt=self.now - PENDING_GRACE
        ).exclude(thread_ts="")
        for channel_id, parent_ts in set(waiting.values_list("channel_id", "thread_ts")):
            channel = self.channels.get(channel_id)
            if channel is None:
                continue
            try:
                found, _ = self._read("conversations_replies", channel=channel_id, ts=parent_ts)
            except web.SlackFailure as failure:
                if failure.code != "thread_not_found":
                    raise
                found = []
            self._feed(channel, found)
            if not any(m.get("ts") == parent_ts for m in found):
                waiting.filter(channel_id=channel_id, thread_ts=parent_ts).update(
                    status=messages.IGNORED, note="its thread's first message is gone", body={}
                )

    def _history(self, channel: SlackChannel) -> None:
        oldest = channel.last_seen_ts or f"{channel.connected_at.timestamp():.6f}"
        found, complete = self._read(
            "conversations_history", channel=channel.channel_id, oldest=oldest
        )
        newest = self._feed(channel, found)
        if complete and _ts_key(newest) > _ts_key(channel.last_seen_ts):
            SlackChannel.objects.filter(pk=channel.pk).update(last_seen_ts=newest)

    def _open_threads(self) -> None:
        """Every tracked thread, the one whose replies were asked for longest ago first (never
        asked: first of all), open before recently resolved at a tie: a run out of calls goes on
        next time with those it did not reach, so no thread waits behind a full run forever."""
        ours = Thread.objects.filter(source=self.app.source).exclude(external_id="")
        done = [ThreadStatus.RESOLVED, ThreadStatus.CLOSED]
        open_ones = ours.exclude(status__in=done).order_by("pk")
        resolved = ours.filter(status__in=done, updated_at__gte=self.now - RESOLVED_WINDOW)
        tracked = [
            *open_ones.values_list("external_id", flat=True),
            *resolved.order_by("-updated_at", "-pk").values_list("external_id", flat=True),
        ]
        keys = [tuple(e.partition(":")[::2]) for e in tracked]
        keys = [(c, ts) for c, ts in keys if c in self.channels and ts]
        checked = dict(
            ((m.channel_id, m.ts), m.replies_checked_at)
            for m in SlackMessage.objects.filter(
                app=self.app, ts__in={ts for _, ts in keys}, replies_checked_at__isnull=False
            ).only("channel_id", "ts", "replies_checked_at")
        )
        order = {key: place for place, key in enumerate(keys)}

        def turn(key):  # never asked first, then the longest ago; open before resolved at a tie
            return (key in checked, checked.get(key) or self.now, order[key])

        for channel_id, thread_ts in sorted(order, key=turn):
            self._replies(self.channels[channel_id], thread_ts)

    def _replies(self, channel: SlackChannel, thread_ts: str) -> None:
        parent, _ = SlackMessage.objects.get_or_create(
            app=self.app,
            channel_id=channel.channel_id,
            ts=thread_ts,
            defaults={"status": messages.RECORDED, "note": "a tracked thread"},
        )
        found, complete = self._read(
            "conversations_replies",
            channel=channel.channel_id,
            ts=thread_ts,
            oldest=parent.replies_read_to or thread_ts,
        )
        newest = self._feed(channel, found)
        moved = {"replies_checked_at": self.now}
        if complete and _ts_key(newest) > _ts_key(parent.replies_read_to):
            moved["replies_read_to"] = newest
        SlackMessage.objects.filter(pk=parent.pk).update(**moved)


def _ts_key(body_or_ts) -> tuple[int, int]:
    """A ts in time order ("1700000000.000200" is seconds and microseconds); nonsense first."""
    ts = body_or_ts.get("ts") if isinstance(body_or_ts, dict) else body_or_ts
    if not isinstance(ts, str) or not messages.TS.fullmatch(ts):
        return (0, 0)
    whole, _, fraction = ts.partition(".")
    return (int(whole), int(fraction.ljust(6, "0")))


def _failed(app: SlackApp, channel: SlackChannel, body: dict, error: Exception) -> None:
    """A message Slack gave that cannot be recorded: kept as ignored, not read again and again."""
    SlackMessage.objects.update_or_create(
        app=app,
        channel_id=channel.channel_id,
        ts=str(body.get("ts"))[:20],
        defaults={
            "status": messages.IGNORED,
            "note": f"failed: {type(error).__name__}: {error}"[:300],
            "via": "catch-up",
            "body": {},
        },
    )
