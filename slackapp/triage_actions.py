"""A click on a triage message, done by a django-q2 task after the 3-second answer: the person
who clicked is mapped to an active agent (slackapp/acting.py, outside any transaction), their
role and team scope decide as on the thread pages, the change goes through the same thread
services the pages use, and the answer goes back through the click's response_url: the triage
message replaced by its updated form, or an ephemeral refusal only the clicker sees."""

from policies.vocabulary import ThreadStatus
from slackapp import acting, respond, triage
from slackapp.models import SlackApp, SlackTriageMessage
from slaops.errors import ThreadError
from threads import services
from threads.alerting.alert import alert_for, thread_url
from threads.models import Delivery, Thread

VIA = "slack"


def interact(app_pk: int, action: dict) -> str:
    """Do what `action` (triage.read_action) asks; returns what happened, for the task log."""
    app = SlackApp.objects.filter(pk=app_pk, enabled=True).first()
    if app is None:
        return "no enabled Slack app"
    url = action["response_url"]
    agent = acting.agent_for(app, action["user"], action.get("user_team", ""))
    if agent is None:
        respond.post(url, respond.ephemeral(respond.NOT_AN_AGENT))
        return "not an agent"
    thread = acting.workable_thread(agent, action["thread"])
    if thread is None:
        respond.post(url, respond.ephemeral(respond.NOT_ALLOWED))
        return "not allowed"
    try:
        done = _apply(action, thread, agent)
    except ThreadError as error:
        respond.post(url, respond.ephemeral(f"Not changed: {error.message}"))
        return f"refused: {error.message}"
    respond.post(url, {"replace_original": True, **updated(thread.pk, action)})
    return done


def _apply(action: dict, thread: Thread, agent) -> str:
    kind = action["action"]
    if kind == triage.ASSIGN:
        if thread.assignee_id != agent.pk:
            services.thread_update(thread=thread.pk, actor=agent, assignee=agent, via=VIA)
        return f"#{thread.pk} assigned to {agent.pk}"
    if kind == triage.PRIORITY:
        if thread.priority != action["priority"]:
            services.thread_update(
                thread=thread.pk, actor=agent, priority=action["priority"], via=VIA
            )
        return f"#{thread.pk} priority {action['priority']}"
    if thread.status not in triage.DONE:
        services.thread_set_status(
            thread=thread.pk, status=ThreadStatus.RESOLVED, actor=agent, via=VIA
        )
    return f"#{thread.pk} resolved"


def updated(thread_id: int, action: dict) -> dict:
    """The triage message as it reads now: the thread's latest alert in this triage channel with
    its current priority, status and assignee."""
    thread = Thread.objects.select_related("assignee").get(pk=thread_id)
    assignee = triage.person_name(thread.assignee)
    kept = SlackTriageMessage.objects.filter(
        thread=thread, slack_channel=action.get("channel", ""), ts=action.get("message_ts", "")
    ).first()
    delivery = None
    if kept is not None:
        delivery = (
            Delivery.objects.filter(channel_id=kept.alert_channel_id, event__thread=thread)
            .filter(recipient__endswith=":triage")
            .select_related("event__thread__account", "event__clock__policy", "event__clock__team")
            .order_by("-created_at", "-pk")
            .first()
        )
    if delivery is not None:
        return triage.triage_content(alert_for(delivery), assignee=assignee)
    return _card(thread, assignee)


def _card(thread: Thread, assignee: str) -> dict:
    """A triage message without an alert to show (its deliveries were cleaned up): the thread's
    link, its state and the controls."""
    from slaops.mrkdwn import NO_AUTOLINK, link

    url = thread_url(thread)
    title = f"#{thread.pk} {thread.subject}"
    section = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": link(url, title), "verbatim": True},
    }
    blocks = [
        section,
        triage.status_line(
            assignee=assignee, priority_label=thread.get_priority_display(), status=thread.status
        ),
        triage.controls(thread.pk, url, thread.priority, thread.status),
    ]
    return {"text": link(url, title), "blocks": blocks} | NO_AUTOLINK
