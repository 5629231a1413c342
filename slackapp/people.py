"""Who wrote in Slack: a linked agent or a customer. A Slack user not linked by hand is looked up
once with users.info (scope users:read.email); an e-mail that is an active agent's links them,
but only for a member of our own workspace: in a Slack Connect channel the customer's
organisation sets its own members' e-mail addresses."""

import re

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.roles import AGENTS, MANAGERS
from slackapp import web
from slackapp.models import SlackApp, SlackUser

USER_ID = re.compile(r"[A-Z0-9]{1,20}")  # U0123ABCD, W0123ABCD


def slack_user(app: SlackApp, user_id: str) -> SlackUser:
    if not isinstance(user_id, str) or not USER_ID.fullmatch(user_id):
        raise ValueError(f"user: not a Slack user id: {str(user_id)[:40]!r}")
    person, _ = SlackUser.objects.get_or_create(app=app, slack_user_id=user_id)
    if person.agent_id is None and person.looked_up_at is None:
        _look_up(app, person)
    return person


def _look_up(app: SlackApp, person: SlackUser) -> None:
    try:
        data = web.call(app, "users_info", user=person.slack_user_id)
    except web.SlackFailure:
        return  # tried again on their next message; meanwhile they count as a customer
    user = data.get("user") or {}
    profile = user.get("profile") or {}
    person.name = (profile.get("real_name") or user.get("name") or "")[:200]
    person.email = (profile.get("email") or "")[:254]
    person.looked_up_at = timezone.now()
    if person.email and user.get("team_id") == app.team_id:
        person.agent = (
            get_user_model()
            .objects.filter(
                email__iexact=person.email, is_active=True, groups__name__in=[AGENTS, MANAGERS]
            )
            .first()
        )
    person.save(update_fields=["name", "email", "looked_up_at", "agent"])
