"""The admin's "send a test message": auth.test (which also tells us the bot's own user id, so
its posts coming back as events are not recorded twice) and one message to each connected
channel, or to the triage channel."""

from slackapp import web
from slackapp.models import SlackApp
from slaops.mrkdwn import NO_AUTOLINK, escape

TEXT = "Test message from SLA Ops: SLA alerts will appear here."


def send_test_message(app: SlackApp) -> list[str]:
    """Post a test message; returns one line per channel tried. Raises web.SlackFailure when the
    token itself is refused."""
    who = web.call(app, "auth_test")
    app.bot_user_id = str(who.get("user_id", ""))[:20]
    app.last_error = ""
    app.save(update_fields=["bot_user_id", "last_error"])
    lines = [f"The bot token works (workspace {who.get('team', '?')}, bot {app.bot_user_id})."]
    from policies.models import AlertChannel

    triage = AlertChannel.objects.filter(kind="slack_app", enabled=True)
    targets = sorted({c for channel in triage for c in channel.address_list()})
    if app.triage_channel_id:  # the workspace's own triage channel
        targets = [app.triage_channel_id]
    if not targets:
        lines.append("No triage channel yet (alert channel of kind “Slack app”): nothing posted.")
    for channel_id in targets:
        try:
            web.call(
                app,
                "chat_postMessage",
                channel=channel_id,
                text=escape(TEXT),  # ours, but every text we post takes the same road
                **NO_AUTOLINK,
            )
            lines.append(f"{channel_id}: sent")
        except web.SlackFailure as failure:
            lines.append(f"{channel_id}: {failure.message}")
    return lines
