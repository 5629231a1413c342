"""Token rotation (opt-in: Slack app credentials → token rotation, and "Advanced token security"
turned on for the app in Slack): a bot token that expires within REFRESH_BEFORE is refreshed with
oauth.v2.access (grant_type=refresh_token, slack_sdk's TokenRotator) before the Web API call that
needs it. Slack's refresh token is single use, so two workers must never refresh at once: the
installation's row is locked (select_for_update) and read again, and only a worker that still
finds the token expiring refreshes; the others take the token it stored."""

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.token_rotation import TokenRotator

from slackapp.models import SlackApp, SlackCredentials

REFRESH_BEFORE = timedelta(minutes=5)
ROTATED = ("bot_token", "bot_refresh_token", "bot_token_expires_at")


def expiring(app: SlackApp, now=None) -> bool:
    return (
        app.bot_token_expires_at is not None
        and bool(app.bot_refresh_token)
        and app.bot_token_expires_at <= (now or timezone.now()) + REFRESH_BEFORE
    )


def bot_token(app: SlackApp) -> str:
    """The token to call the Web API with for this installation, refreshed first if due."""
    if not app.pk or not expiring(app):
        return app.bot_token
    credentials = SlackCredentials.load()
    if not (credentials.token_rotation and credentials.client_id and credentials.client_secret):
        return app.bot_token
    with transaction.atomic():
        row = SlackApp.objects.select_for_update().get(pk=app.pk)
        if expiring(row):  # nobody refreshed it while we waited for the lock
            _refresh(row, credentials)
    for name in ROTATED:
        setattr(app, name, getattr(row, name))
    return app.bot_token


def _refresh(row: SlackApp, credentials: SlackCredentials) -> None:
    from slackapp import installs, web

    rotator = TokenRotator(
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        client=web.oauth_client(),
    )
    minutes = int(REFRESH_BEFORE.total_seconds() // 60)
    try:
        bot = rotator.perform_bot_token_rotation(
            bot=installs.bot_of(row), minutes_before_expiration=minutes
        )
    except SlackTokenRotationError as error:
        failed = error.api_error if isinstance(error.api_error, SlackApiError) else None
        answer = failed.response if failed is not None else None
        code = answer.get("error", "") if answer is not None else ""
        busy = answer is not None and (answer.status_code == 429 or answer.status_code >= 500)
        raise web.SlackFailure(
            f"token refresh refused by Slack: {code or 'error'}", permanent=not busy, code=code
        ) from None
    except OSError as error:
        raise web.SlackFailure(f"Slack unreachable (token refresh): {error}") from None
    if bot is None:  # Slack answered something else than a bot token
        raise web.SlackFailure("token refresh: Slack gave no bot token", permanent=True)
    row.bot_token = bot.bot_token
    row.bot_refresh_token = bot.bot_refresh_token or ""
    row.bot_token_expires_at = datetime.fromtimestamp(bot.bot_token_expires_at, UTC)
    row.save(update_fields=list(ROTATED))
