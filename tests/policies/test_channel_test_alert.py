"""“Send a test alert” checks a channel without changing it: a refused test never disables the
channel, but says that a real alert failing the same way would; a refused inside address names
the setting that would allow it and what else that setting allows."""

import html

import pytest
from django.urls import reverse

from policies.models import AlertChannel

pytestmark = pytest.mark.django_db

SECRET = "whsec_" + "dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI="


@pytest.fixture
def local_http_only(settings):
    """What the issue's reader had: plain http to 127.0.0.1 allowed, inside addresses not."""
    settings.SLA_HTTP_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.SLA_ALLOW_PRIVATE_DESTINATIONS = False


def test_a_refused_test_alert_leaves_the_channel_enabled_and_says_what_a_real_one_would_do(
    manager_client, local_http_only
):
    hook = AlertChannel.objects.create(
        name="Local hook", kind="webhook", url="http://127.0.0.1:9/hook", secret=SECRET
    )
    response = manager_client.post(
        reverse("admin:policies_alertchannel_test", args=[hook.pk]), follow=True
    )
    shown = html.unescape(" ".join(str(m) for m in response.context["messages"]))
    assert "Local hook: test alert failed" in shown
    assert "127.0.0.1 is a loopback address" in shown
    assert "SLA_ALLOW_PRIVATE_DESTINATIONS=true" in shown
    assert "SLA_HTTP_ALLOWED_HOSTS does not change this: it only allows plain http" in shown
    assert "A real alert failing like this would disable the channel" in shown
    hook.refresh_from_db()
    assert hook.enabled and not hook.disabled_reason and hook.disabled_at is None


def test_the_channel_form_names_the_setting_an_inside_address_needs(
    manager_client, local_http_only
):
    response = manager_client.post(
        reverse("admin:policies_alertchannel_add"),
        {"name": "Local hook", "kind": "webhook", "url": "http://127.0.0.1:8199/hook"},
    )
    assert response.status_code == 200  # refused, shown again
    [error] = response.context["adminform"].form.errors["url"]
    assert error.startswith("Destination not allowed: 127.0.0.1 is a loopback address.")
    assert "Only SLA_ALLOW_PRIVATE_DESTINATIONS=true allows such addresses" in error
    assert not AlertChannel.objects.exists()


def test_a_refusal_that_is_not_about_an_address_names_no_setting(manager_client, local_http_only):
    response = manager_client.post(
        reverse("admin:policies_alertchannel_add"),
        {"name": "Hook", "kind": "webhook", "url": "ftp://hooks.example.com/x"},
    )
    [error] = response.context["adminform"].form.errors["url"]
    assert "SLA_ALLOW_PRIVATE_DESTINATIONS" not in error
