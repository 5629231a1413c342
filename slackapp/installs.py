"""Installing the app ("Add to Slack", OAuth v2) through slack_sdk's interfaces, backed by our
models: the installation store keeps each workspace (or Enterprise Grid org, for an org-wide
install) as a SlackApp row keyed by (enterprise_id, team_id), its tokens in encrypted columns like
every other secret; the state store binds an install's `state` to the superuser's session that
started it, for one use within STATE_SECONDS.

A workspace installed for the first time stays disabled (its events are answered 200 and not
kept, nothing is posted to it) until a superuser approves it in the admin. Installing again in a
known workspace replaces its token and keeps whether it was approved.

`BOT_SCOPES` and `BOT_EVENTS` are what the code uses; deploy/slack/manifest.yml lists the same
(tests/slackapp/test_manifest.py holds them together)."""

import hmac
import logging
import secrets
import time
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from slackapp.connect import delivered_to
from slackapp.models import SlackApp

log = logging.getLogger(__name__)

BOT_SCOPES = (
    "channels:history",  # conversations.history/replies: the catch-up; message events
    "groups:history",  # the same in private channels
    "chat:write",  # replies, triage messages, DMs to the assignee
    "chat:write.customize",  # a reply shows the agent's name and picture
    "channels:read",  # conversations.info: is a channel shared with another organisation (/sla)
    "groups:read",  # the same for private channels
    "im:read",  # and for a direct message with the app
    "mpim:read",  # and for a group direct message
    "commands",  # /sla
    "reactions:read",  # the resolve reaction
    "team:read",  # the workspace's name
    "users:read",  # users.info: who wrote, and from which organisation
    "users:read.email",  # an agent found by their e-mail address
)
# Slack's event names (inbound.MAPPED_KINDS maps their types: message, reaction_added).
BOT_EVENTS = (
    "message.channels",
    "message.groups",
    "reaction_added",
    "app_uninstalled",  # the installation loses its token (slackapp/handlers.py)
    "tokens_revoked",
)

STATE_SECONDS = 10 * 60
STATE_KEY = "slack_install_state"


class SessionStateStore(OAuthStateStore):
    """One install at a time per session: issuing a state replaces the previous one; consuming
    it (right or wrong) removes it, so a state is good once, in the session that asked for it,
    for STATE_SECONDS."""

    def __init__(self, session):
        self.session = session

    @property
    def logger(self) -> logging.Logger:
        return log

    def issue(self, *args, **kwargs) -> str:
        state = secrets.token_urlsafe(32)
        self.session[STATE_KEY] = {"state": state, "until": time.time() + STATE_SECONDS}
        return state

    def consume(self, state: str) -> bool:
        kept = self.session.pop(STATE_KEY, None)
        if not isinstance(kept, dict) or not isinstance(state, str) or not state:
            return False
        expected = str(kept.get("state", ""))
        if not hmac.compare_digest(expected.encode(), state.encode()):
            return False
        return time.time() <= float(kept.get("until") or 0)


def _key(enterprise_id, team_id, is_enterprise_install) -> dict:
    return {
        "enterprise_id": enterprise_id or "",
        "team_id": "" if is_enterprise_install else team_id or "",
    }


class DjangoInstallationStore(InstallationStore):
    """Bot installations only (the app asks no user scopes)."""

    @property
    def logger(self) -> logging.Logger:
        return log

    def save(self, installation: Installation) -> tuple[SlackApp, bool]:
        """Store the installation; the row and whether the workspace is new to us."""
        key = _key(
            installation.enterprise_id, installation.team_id, installation.is_enterprise_install
        )
        expires = installation.bot_token_expires_at
        with transaction.atomic():
            app = SlackApp.objects.select_for_update().filter(**key).first()
            new = app is None
            if new:
                app = SlackApp(**key, enabled=False)  # until a superuser approves it
            name = installation.team_name or installation.enterprise_name
            app.name = (name or app.name)[:120]
            app.is_enterprise_install = bool(installation.is_enterprise_install)
            app.bot_token = installation.bot_token or ""
            app.bot_user_id = (installation.bot_user_id or "")[:20]
            app.bot_refresh_token = installation.bot_refresh_token or ""
            app.bot_token_expires_at = datetime.fromtimestamp(expires, UTC) if expires else None
            app.signing_secret = ""  # now the app's installation: the app's signing secret
            app.installed_at = timezone.now()
            app.last_error = ""
            app.save()
        return app, new

    def save_bot(self, bot: Bot):
        raise NotImplementedError("installations are saved whole: save(installation)")

    def find_bot(self, *, enterprise_id, team_id, is_enterprise_install=False) -> Bot | None:
        app = SlackApp.objects.filter(**_key(enterprise_id, team_id, is_enterprise_install))
        app = app.filter(enabled=True).first()
        if app is None or not app.bot_token:
            return None
        return bot_of(app)

    def delete_bot(self, *, enterprise_id, team_id) -> None:
        """Uninstalled: the row stays (its threads and records point at it), without a token."""
        SlackApp.objects.filter(**_key(enterprise_id, team_id, not team_id)).update(
            bot_token="", bot_refresh_token="", bot_token_expires_at=None, enabled=False
        )

    def delete_installation(self, *, enterprise_id, team_id, user_id=None) -> None:
        if user_id is None:
            self.delete_bot(enterprise_id=enterprise_id, team_id=team_id)


def bot_of(app: SlackApp) -> Bot:
    """An installation row as slack_sdk's Bot (what its TokenRotator refreshes)."""
    expires = app.bot_token_expires_at
    return Bot(
        enterprise_id=app.enterprise_id or None,
        team_id=app.team_id or None,
        team_name=app.name,
        bot_token=app.bot_token,
        bot_id="",
        bot_user_id=app.bot_user_id,
        bot_refresh_token=app.bot_refresh_token or None,
        bot_token_expires_at=int(expires.timestamp()) if expires else None,
        is_enterprise_install=app.is_enterprise_install,
        installed_at=(app.installed_at or timezone.now()).timestamp(),
    )


def installation_from(answer: dict) -> Installation:
    """oauth.v2.access's answer as slack_sdk's Installation (as slack_sdk's own flows build it)."""
    enterprise = answer.get("enterprise") or {}
    team = answer.get("team") or {}
    installer = answer.get("authed_user") or {}
    return Installation(
        app_id=answer.get("app_id"),
        enterprise_id=enterprise.get("id"),
        enterprise_name=enterprise.get("name"),
        team_id=team.get("id"),
        team_name=team.get("name"),
        bot_token=answer.get("access_token"),
        bot_user_id=answer.get("bot_user_id"),
        bot_scopes=answer.get("scope") or "",
        bot_refresh_token=answer.get("refresh_token"),
        bot_token_expires_in=answer.get("expires_in"),
        user_id=installer.get("id") or "",
        is_enterprise_install=bool(answer.get("is_enterprise_install")),
        token_type=answer.get("token_type"),
    )


def addressed(signed: SlackApp, payload: dict) -> SlackApp:
    """The installation a signed event is for. A workspace with an app of its own (its own
    signing secret) gets only its own; the app's signing secret is shared by every installation
    of the app, so the event's teams (connect.delivered_to) say which one."""
    if signed.signing_secret or (signed.pk and delivered_to(signed, payload)):
        return signed
    for app in SlackApp.objects.filter(enabled=True, signing_secret="").order_by("pk"):
        if delivered_to(app, payload):
            return app
    return signed


def learn_org_teams(app: SlackApp) -> None:
    """An org-wide install: the workspaces of our org (auth.teams.list), whose members are
    agents in a Slack Connect channel, not customers. Outside any transaction; kept as it was
    when Slack cannot be asked (the next catch-up asks again)."""
    from slackapp import web

    if not app.is_enterprise_install or not app.bot_token:
        return
    teams, cursor = [], ""
    for _ in range(20):  # 20 pages of 200: far more workspaces than any org has
        try:
            data = web.call(
                app, "auth_teams_list", limit=200, **({"cursor": cursor} if cursor else {})
            )
        except web.SlackFailure as failure:
            log.warning("auth.teams.list for %s: %s", app, failure.message)
            return
        teams += [t["id"] for t in data.get("teams") or [] if isinstance(t, dict) and t.get("id")]
        cursor = (data.get("response_metadata") or {}).get("next_cursor") or ""
        if not cursor:
            break
    found = sorted({str(t)[:20] for t in teams})
    if found != app.org_team_ids:
        SlackApp.objects.filter(pk=app.pk).update(org_team_ids=found)
        app.org_team_ids = found
