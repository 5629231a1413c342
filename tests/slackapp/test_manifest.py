"""The app manifest in the repo (deploy/slack/manifest.yml) creates an app that asks for what the
code uses and sends what it handles to URLs that exist."""

from io import StringIO
from urllib.parse import urlsplit

import pytest
import yaml
from django.core.management import call_command
from django.urls import Resolver404, resolve, reverse

from slackapp.handlers import LIFECYCLE
from slackapp.inbound import MAPPED_KINDS
from slackapp.installs import BOT_EVENTS, BOT_SCOPES
from slackapp.manifest import MANIFEST, PLACEHOLDER


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def urls(manifest) -> list[str]:
    settings = manifest["settings"]
    return [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        *manifest["oauth_config"]["redirect_urls"],
        *(command["url"] for command in manifest["features"]["slash_commands"]),
    ]


def test_the_manifest_asks_for_the_scopes_the_code_uses_and_no_more(manifest):
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)
    assert "user" not in manifest["oauth_config"]["scopes"]


def test_the_manifest_subscribes_to_the_events_the_code_maps(manifest):
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert sorted(events) == sorted(BOT_EVENTS)
    assert {event.split(".")[0] for event in events} == set(MAPPED_KINDS) | set(LIFECYCLE)


def test_the_manifest_sends_to_urls_that_exist(manifest):
    paths = [urlsplit(url).path for url in urls(manifest)]
    assert all(url.startswith(PLACEHOLDER + "/") for url in urls(manifest))
    assert paths[0] == reverse("slack-events")
    assert paths[1] == reverse("slack-interactivity")
    assert paths[-1] == reverse("slack-commands")
    callback = PLACEHOLDER + reverse("slack-oauth-callback")
    assert manifest["oauth_config"]["redirect_urls"] == [callback]
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/sla"]
    for path in paths:
        try:
            resolve(path)
        except Resolver404:
            pytest.fail(f"{path}: no such URL")
    assert manifest["settings"]["socket_mode_enabled"] is False


def test_slack_manifest_writes_it_with_this_servers_address(settings):
    settings.SITE_URL = "https://support.example.org"
    out = StringIO()
    call_command("slack_manifest", stdout=out)
    written = yaml.safe_load(out.getvalue())
    assert written["oauth_config"]["redirect_urls"] == [
        "https://support.example.org/integrations/slack/oauth/callback/"
    ]
    assert PLACEHOLDER not in out.getvalue()
