"""SLA alerts through the Slack app (the `slack_app` transport; policies.alert_kinds.TRANSPORTS
names it by path, and it lives here because threads imports no channel app): one message per
thread in an internal triage channel (the alert channel's Slack channel id), posted at the
thread's first alert and updated with chat.update as its clock moves (due soon → breaching →
achieved or breached), and a direct message to the assignee when they are linked to a Slack user.

Several workspaces: a thread that came from a workspace with a triage channel of its own
(SlackApp.triage_channel_id) is announced there, through that workspace's installation; any
other thread in the alert channel's triage channel, through the first enabled installation.

`send` only talks to Slack: `prepare` reads the app, the triage messages already posted for the
threads with alerts waiting, and who the assignees are in Slack; `remember` keeps a new message's
ts after the run has recorded the send."""

from types import SimpleNamespace

from django.utils import timezone

from policies.models import AlertChannel
from slackapp.triage import person_name, triage_content
from slaops.mrkdwn import NO_AUTOLINK
from threads.alerting.alert import Alert
from threads.alerting.transports.base import PermanentError, Result, TransientError, Transport
from threads.alerting.transports.slack import message as block_kit
from threads.models import Delivery, Thread

TRIAGE, ASSIGNEE = "triage", "assignee"
WAITING = [Delivery.Status.PENDING, Delivery.Status.RETRYING, Delivery.Status.SENDING]


class SlackAppTransport(Transport):
    def recipients(self, channel: AlertChannel) -> list[str]:
        return [f"channel:{channel.pk}:{TRIAGE}", f"channel:{channel.pk}:{ASSIGNEE}"]

    def prepare(self, channel: AlertChannel) -> None:
        from slackapp.models import SlackApp, SlackTriageMessage, SlackUser

        apps = list(SlackApp.objects.filter(enabled=True).order_by("pk"))
        waiting = Delivery.objects.filter(channel=channel, status__in=WAITING)
        threads = waiting.values("event__thread_id")
        channel.slack_app = SimpleNamespace(
            app=apps[0] if apps else None,
            by_source={app.source: app for app in apps},
            sources=dict(waiting.values_list("event__thread_id", "event__thread__source")),
            posted={
                row.thread_id: (row.slack_channel, row.ts)
                for row in SlackTriageMessage.objects.filter(
                    alert_channel=channel, thread_id__in=threads
                )
            },
            assignees={
                thread.pk: person_name(thread.assignee)
                for thread in Thread.objects.filter(pk__in=threads).select_related("assignee")
            },
            people={
                (app_id, agent_id): user
                for app_id, agent_id, user in SlackUser.objects.filter(
                    app__in=apps, agent__isnull=False
                ).values_list("app_id", "agent_id", "slack_user_id")
            },
        )

    @staticmethod
    def _where(prepared, delivery: Delivery, alert: Alert):
        """The installation and triage channel for this alert's thread."""
        own = prepared.by_source.get(prepared.sources.get(alert.thread_id))
        if own is not None and own.triage_channel_id:
            return own, own.triage_channel_id
        return prepared.app, delivery.channel.address_list()[0]

    def send(self, delivery: Delivery, alert: Alert) -> Result:
        from slackapp import web

        prepared = delivery.channel.slack_app
        if prepared.app is None:
            raise PermanentError("No enabled Slack workspace (admin → Slack → Slack workspaces).")
        app, triage = self._where(prepared, delivery, alert)
        # The webhook's escaped Block Kit message, for the triage channel and the DM alike; a
        # thread's triage message has its controls (slackapp/triage.py).
        content = block_kit(alert) | NO_AUTOLINK
        try:
            if delivery.recipient.endswith(f":{ASSIGNEE}"):
                return self._direct(delivery, alert, prepared, app, content)
            if alert.thread_id and not alert.is_test:
                assignee = prepared.assignees.get(alert.thread_id, "")
                content = triage_content(alert, assignee=assignee)
            known = prepared.posted.get(alert.thread_id) if alert.thread_id else None
            if known:
                try:
                    web.call(app, "chat_update", channel=known[0], ts=known[1], **content)
                    return Result(200)
                except web.SlackFailure as failure:
                    if failure.code != "message_not_found":
                        raise
                    # Someone deleted the thread's triage message: post a new one.
            data = web.call(app, "chat_postMessage", channel=triage, **content)
        except web.SlackFailure as failure:
            if failure.permanent:
                raise PermanentError(failure.message, disable_channel=True) from None
            raise TransientError(failure.message, retry_after=failure.retry_after) from None
        if alert.is_test or alert.thread_id is None:  # an objective's: no thread message kept
            return Result(200)
        return Result(200, remember={"channel": data.get("channel", ""), "ts": data.get("ts", "")})

    def _direct(self, delivery, alert, prepared, app, content) -> Result:
        from slackapp import web

        if alert.is_test or delivery.event_id is None:
            return Result()
        user = prepared.people.get((app.pk, delivery.event.thread.assignee_id))
        if user is None:
            return Result()  # unassigned, or the assignee is not linked to a Slack user
        web.call(app, "chat_postMessage", channel=user, **content)
        return Result(200)

    def remember(self, delivery: Delivery, kept: dict) -> None:
        from slackapp.models import SlackTriageMessage

        if not kept.get("ts"):
            return
        SlackTriageMessage.objects.update_or_create(
            alert_channel_id=delivery.channel_id,
            thread_id=delivery.event.thread_id,
            defaults={
                "slack_channel": kept["channel"][:20],
                "ts": kept["ts"][:20],
                "updated_at": timezone.now(),
            },
        )
