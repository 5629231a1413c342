"""The alert channel form: each kind shows and keeps only its own fields (policies/alert_kinds.py
TRANSPORTS says which)."""

import json

import pytest
from django.urls import reverse

from policies.forms import AlertChannelForm
from policies.models import AlertChannel

pytestmark = [pytest.mark.django_db, pytest.mark.both]

SECRET = "whsec_c2VjcmV0LXNpZ25pbmcta2V5LTNmMmE="
SLACK_URL = "https://hooks.slack.com/services/T0001/B0001/tokenSecretPart3f2a"


def save(channel, **fields):
    data = {"name": channel.name, "kind": channel.kind, "enabled": "on", **fields}
    form = AlertChannelForm(data, instance=channel)
    assert form.is_valid(), form.errors
    return form.save()


def test_the_kind_menu_says_which_fields_each_kind_shows(manager_client):
    page = manager_client.get(reverse("admin:policies_alertchannel_add")).content.decode()
    form = AlertChannelForm()

    assert json.loads(form.fields["kind"].widget.attrs["data-kind-fields"]) == {
        "email": ["addresses"],
        "slack": ["url"],
        "webhook": ["url", "secret"],
        "pagerduty": ["url", "secret"],
        "teams": ["url"],
        "slack_app": ["addresses"],
    }
    assert "data-kind-fields" in page and "slaops/channel_kinds.js" in page


def test_a_webhook_turned_slack_channel_forgets_its_signing_secret():
    channel = AlertChannel.objects.create(
        name="Partner", kind="webhook", url="https://partner.example.com/hook", secret=SECRET
    )

    saved = save(channel, kind="slack", url=SLACK_URL)

    assert (saved.kind, saved.url, saved.secret) == ("slack", SLACK_URL, "")


def test_an_email_channel_keeps_no_url_typed_next_to_its_addresses():
    channel = AlertChannel(name="On call", kind="email")

    saved = save(channel, addresses="oncall@example.com", url="https://example.com/")

    assert (saved.addresses, saved.url) == ("oncall@example.com", "")


def test_a_saved_slack_url_stays_write_only_on_the_form():
    channel = AlertChannel.objects.create(name="Team Slack", kind="slack", url=SLACK_URL)

    html = str(AlertChannelForm(instance=channel)["url"])

    assert "tokenSecretPart" not in html and "••••3f2a" in html
