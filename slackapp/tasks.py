"""The Slack app's django-q2 tasks: map a received event; post replies that are due; catch up
with what the events did not bring; act on a triage message's click; answer /sla."""

from slackapp import inbound


def handle_event(pk: int) -> None:
    inbound.handle(pk)


def send_post(pk: int) -> None:
    from slackapp import outbox

    outbox.send(pk)


def send_due() -> int:
    """Every minute: map events whose task was lost, then post the replies that are due."""
    from slackapp import outbox

    inbound.sweep()
    return outbox.send_due()


def catch_up() -> dict:
    """Every few minutes and at a cluster's start: read back what Slack's events missed."""
    from slackapp import catchup

    return {team: vars(report) for team, report in catchup.catch_up().items()}


def interact(app_pk: int, action: dict) -> str:
    """A click on a triage message's controls (slackapp/triage_actions.py)."""
    from slackapp import triage_actions

    return triage_actions.interact(app_pk, action)


def slash_command(app_pk: int, asked: dict) -> str:
    """/sla when answering it needs the Web API (slackapp/command.py)."""
    from slackapp import command

    return command.slash_command(app_pk, asked)
