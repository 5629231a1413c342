"""SLA alerts through the Slack app (the `slack_app` transport; policies.alert_kinds.TRANSPORTS
names it by path, and it lives here because threads imports no channel app): one message per
thread in an internal triage channel (the alert channel's Slack channel id), posted at the
thread's first alert and updated with chat.update as its clock moves (due soon → breaching →
achieved or breached), and a direct message to the assignee when they are linked to a Slack user.

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

        app = SlackApp.objects.filter(enabled=True).first()
        threads = Delivery.objects.filter(channel=channel, status__in=WAITING).values(
            "event__thread_id"
        )
        channel.slack_app = SimpleNamespace(
            app=app,
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
            people=dict(
                SlackUser.objects.filter(app=app, agent__isnull=False).values_list(
                    "agent_id", "slack_user_id"
                )
            )
            if app
            else {},
        )

    def send(self, delivery: Delivery, alert: Alert) -> Result:
        from slackapp import web

        prepared = delivery.channel.slack_app
        if prepared.app is None:
            raise PermanentError("No enabled Slack app (admin → Slack → Slack apps).")
        # The webhook's escaped Block Kit message, for the triage channel and the DM alike; a
        # thread's triage message has its controls (slackapp/triage.py).
        content = block_kit(alert) | NO_AUTOLINK
        try:
            if delivery.recipient.endswith(f":{ASSIGNEE}"):
                return self._direct(delivery, alert, prepared, content)
            if alert.thread_id and not alert.is_test:
                assignee = prepared.assignees.get(alert.thread_id, "")
                content = triage_content(alert, assignee=assignee)
            known = prepared.posted.get(alert.thread_id) if alert.thread_id else None
            if known:
                try:
                    web.call(prepared.app, "chat_update", channel=known[0], ts=known[1], **content)
                    return Result(200)
                except web.SlackFailure as failure:
                    if failure.code != "message_not_found":
                        raise
                    # Someone deleted the thread's triage message: post a new one.
            data = web.call(
                prepared.app,
                "chat_postMessage",
                channel=delivery.channel.address_list()[0],
                **content,
            )
        except web.SlackFailure as failure:
            if failure.permanent:
                raise PermanentError(failure.message, disable_channel=True) from None
            raise TransientError(failure.message, retry_after=failure.retry_after) from None
        if alert.is_test or alert.thread_id is None:  # an objective's: no thread message kept
            return Result(200)
        return Result(200, remember={"channel": data.get("channel", ""), "ts": data.get("ts", "")})

    def _direct(self, delivery, alert, prepared, content) -> Result:
        from slackapp import web

        if alert.is_test or delivery.event_id is None:
            return Result()
        user = prepared.people.get(delivery.event.thread.assignee_id)
        if user is None:
            return Result()  # unassigned, or the assignee is not linked to a Slack user
        web.call(prepared.app, "chat_postMessage", channel=user, **content)
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
