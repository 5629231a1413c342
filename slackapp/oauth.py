"""“Add to Slack”: Slack's OAuth v2 install, started and finished by a signed-in superuser.

/integrations/slack/install/ issues a `state` bound to the superuser's session (installs.
SessionStateStore: single use, 10 minutes) and sends the browser to Slack's authorize page
(slack_sdk's AuthorizeUrlGenerator) with the app's client id and BOT_SCOPES.
/integrations/slack/oauth/callback/ (the manifest's redirect URL) is where Slack sends it back:
the state must be the one this session was given; the code is exchanged with oauth.v2.access
(slack_sdk's WebClient at SLACK_API_URL, behind the outbound gate) and the installation stored
(installs.DjangoInstallationStore). Anything wrong is a page saying what, never a 500."""

from urllib.parse import urljoin

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth import AuthorizeUrlGenerator

from slackapp import web
from slackapp.installs import (
    BOT_SCOPES,
    DjangoInstallationStore,
    SessionStateStore,
    installation_from,
    learn_org_teams,
)
from slackapp.models import SlackCredentials


def redirect_uri() -> str:
    return settings.SITE_URL + reverse("slack-oauth-callback")


def authorize_url() -> str:
    """Slack's authorize page, next to its Web API (https://slack.com/oauth/v2/authorize)."""
    return urljoin(settings.SLACK_API_URL, "/oauth/v2/authorize")


def _superuser(request) -> None:
    if not (request.user.is_active and request.user.is_superuser):
        raise PermissionDenied("Only a superuser installs the Slack app.")


def _refused(request, why: str, status: int = 400):
    context = {"why": why, "status": status}
    return render(request, "slackapp/install_refused.html", context, status=status)


@require_GET
@login_required
def install(request):
    _superuser(request)
    credentials = SlackCredentials.load()
    if not (credentials.client_id and credentials.client_secret):
        messages.error(
            request,
            "Give the app's client id and client secret first (Slack: Basic Information → "
            "App Credentials).",
        )
        if SlackCredentials.objects.filter(pk=1).exists():
            return redirect("admin:slackapp_slackcredentials_change", 1)
        return redirect("admin:slackapp_slackcredentials_add")
    state = SessionStateStore(request.session).issue()
    generator = AuthorizeUrlGenerator(
        client_id=credentials.client_id,
        redirect_uri=redirect_uri(),
        scopes=list(BOT_SCOPES),
        authorization_url=authorize_url(),
    )
    return redirect(generator.generate(state))


@require_GET
@login_required
def callback(request):
    _superuser(request)
    if not SessionStateStore(request.session).consume(request.GET.get("state", "")):
        return _refused(
            request,
            "state: this install link is not valid (it was used already, is more than 10 "
            "minutes old, or was started in another session). Start again with “Add to Slack”.",
        )
    if request.GET.get("error"):
        return _refused(request, f"Slack said: {request.GET['error'][:100]}. Nothing installed.")
    code = request.GET.get("code", "")
    if not code or len(code) > 200:
        return _refused(request, "code: missing from Slack's answer. Start again.")
    credentials = SlackCredentials.load()
    try:
        answer = web.oauth_client().oauth_v2_access(
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            code=code,
            redirect_uri=redirect_uri(),
        )
    except web.SlackFailure as failure:
        return _refused(request, failure.message, 502)
    except SlackApiError as error:
        said = error.response.get("error", "") if isinstance(error.response.data, dict) else ""
        return _refused(request, f"Slack refused the install: {said or 'error'}.", 502)
    except OSError as error:
        return _refused(request, f"Slack unreachable: {error}", 502)
    if not answer.get("access_token") or answer.get("token_type") != "bot":
        return _refused(request, "Slack gave no bot token: the app must ask for bot scopes.", 502)
    app, new = DjangoInstallationStore().save(installation_from(answer.data))
    learn_org_teams(app)  # an org-wide install: which workspaces are us
    if new:
        messages.warning(
            request,
            f"Installed in {app}. It stays disabled until you approve it: tick it and choose "
            "“Approve”, then set its triage channel and connect its channels.",
        )
    else:
        messages.success(request, f"Installed again in {app}: its token was updated.")
    return redirect(reverse("admin:slackapp_slackapp_change", args=[app.pk]))
