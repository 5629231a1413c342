"""Who wrote in Slack: a linked agent or a customer.

A Slack user not linked by hand is looked up once with users.info (scopes users:read and
users:read.email), before the message is recorded and outside any database transaction, so a
slow Slack never holds a thread's lock. In a Slack Connect channel users.info answers for members
of the customer's organisation too: their `team_id` is kept as their organisation. The
organisation decides first: only a member of our own workspace is matched to an agent by e-mail
(the customer's organisation sets its own members' addresses). A failed look-up is not repeated
for a minute (a burst of one person's messages asks Slack once); meanwhile they count as a
customer, and the next message after that asks again."""

import re
import time
from contextlib import suppress

from django.contrib.auth import get_user_model
from django.db import IntegrityError
from django.utils import timezone

from accounts.roles import AGENTS, MANAGERS
from slackapp import connect, web
from slackapp.models import SlackApp, SlackUser

USER_ID = re.compile(r"[A-Z0-9]{1,20}")  # U0123ABCD, W0123ABCD
ASK_AGAIN_AFTER = 60.0  # seconds after a failed users.info
_failed: dict[tuple[int, str], float] = {}  # (app, user) -> when users.info last failed


def checked_id(user_id) -> str:
    if not isinstance(user_id, str) or not USER_ID.fullmatch(user_id):
        raise ValueError(f"user: not a Slack user id: {str(user_id)[:40]!r}")
    return user_id


def prepare(app: SlackApp, user_ids) -> None:
    """Look up the people not known yet: call this outside any transaction."""
    for user_id in user_ids:
        if not isinstance(user_id, str) or not USER_ID.fullmatch(user_id):
            continue  # the mapping reports it
        person = SlackUser.objects.filter(app=app, slack_user_id=user_id).first()
        if person is not None and (person.agent_id is not None or person.looked_up_at):
            continue
        if time.monotonic() - _failed.get((app.pk, user_id), -ASK_AGAIN_AFTER) < ASK_AGAIN_AFTER:
            continue
        _look_up(app, user_id)


def slack_user(app: SlackApp, user_id) -> SlackUser:
    """The person as recorded (no Web API call: `prepare` looked them up)."""
    person, _ = SlackUser.objects.get_or_create(app=app, slack_user_id=checked_id(user_id))
    return person


def _look_up(app: SlackApp, user_id: str) -> None:
    try:
        data = web.call(app, "users_info", user=user_id)
    except web.SlackFailure:
        _failed[(app.pk, user_id)] = time.monotonic()
        return
    _failed.pop((app.pk, user_id), None)
    user = data.get("user") or {}
    profile = user.get("profile") or {}
    found = {
        "name": str(profile.get("real_name") or user.get("name") or "")[:200],
        "email": str(profile.get("email") or "")[:254],
        "team_id": str(user.get("team_id") or "")[:20],
        "looked_up_at": timezone.now(),
    }
    grid = user.get("enterprise_user") or {}
    if app.is_enterprise_install and grid.get("enterprise_id") == app.enterprise_id:
        found["team_id"] = app.enterprise_id[:20]  # a member of our org, whichever workspace
    if found["email"] and found["team_id"] in connect.our_teams(app):
        found["agent"] = (
            get_user_model()
            .objects.filter(
                email__iexact=found["email"],
                is_active=True,
                groups__name__in=[AGENTS, MANAGERS],
            )
            .first()
        )
    with suppress(IntegrityError):  # two workers looked them up at once: the other one wrote it
        SlackUser.objects.update_or_create(app=app, slack_user_id=user_id, defaults=found)
