"""The admin's PagerDuty and Teams channels: what the form refuses (naming the field) and the
secrets it never shows back (the routing key, the Workflows URL)."""

import pytest
from django.urls import reverse

from policies.models import AlertChannel
from tests.policies.test_admin import channel_page, channel_post

pytestmark = [pytest.mark.django_db, pytest.mark.both]

ROUTING_KEY = "R0UT1NGK3Y0000000000000000003f2a"
FLOW_URL = (
    "https://prod-07.westeurope.logic.azure.com:443/workflows/0a1b2c/triggers/manual/paths/"
    "invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=flowSigSecret3f2a"
)
CONNECTOR_URL = "https://contoso.webhook.office.com/webhookb2/0a1b2c@d3e4f5/IncomingWebhook/abc/def"


def add(client, **fields):
    data = {"name": "New", "addresses": "", "url": "", "secret": "", "enabled": "on", **fields}
    return client.post(reverse("admin:policies_alertchannel_add"), data)


def errors(response) -> dict:
    assert response.status_code == 200, "the form was accepted"
    return response.context["adminform"].form.errors


@pytest.fixture
def pagerduty():
    return AlertChannel.objects.create(name="On call", kind="pagerduty", secret=ROUTING_KEY)


@pytest.fixture
def teams():
    return AlertChannel.objects.create(name="Support room", kind="teams", url=FLOW_URL)


def test_a_manager_adds_a_pagerduty_channel_with_only_its_routing_key(manager_client):
    response = add(manager_client, name="On call", kind="pagerduty", secret=ROUTING_KEY)

    assert response.status_code == 302
    created = AlertChannel.objects.get()
    assert (created.kind, created.url, created.secret) == ("pagerduty", "", ROUTING_KEY)
    listing = manager_client.get(reverse("admin:policies_alertchannel_changelist"))
    assert "https://events.pagerduty.com/v2/enqueue" in listing.content.decode()


def test_a_pagerduty_channel_without_a_routing_key_is_refused(manager_client):
    found = errors(add(manager_client, kind="pagerduty"))

    assert list(found) == ["secret"]
    assert "needs its routing key" in found["secret"][0]
    assert not AlertChannel.objects.exists()


def test_a_routing_key_that_is_not_one_is_refused_and_not_shown_back(manager_client):
    response = add(manager_client, kind="pagerduty", secret="my-api-token-by-mistake")

    assert "32 letters and digits" in errors(response)["secret"][0]
    assert "my-api-token-by-mistake" not in response.content.decode()


def test_a_pagerduty_url_elsewhere_than_pagerduty_is_refused(manager_client, settings):
    settings.SLA_HTTP_ALLOWED_HOSTS = []
    response = add(
        manager_client,
        kind="pagerduty",
        url="https://collector.example.com/v2/enqueue",
        secret=ROUTING_KEY,
    )

    assert "must be PagerDuty's" in errors(response)["url"][0]


def test_the_eu_events_api_is_accepted(manager_client, settings):
    settings.SLA_HTTP_ALLOWED_HOSTS = []
    url = "https://events.eu.pagerduty.com/v2/enqueue"

    assert add(manager_client, kind="pagerduty", url=url, secret=ROUTING_KEY).status_code == 302


def test_a_saved_routing_key_is_shown_only_as_its_last_four_characters(manager_client, pagerduty):
    body = channel_page(manager_client, pagerduty).content.decode()

    assert ROUTING_KEY not in body and ROUTING_KEY[:12] not in body
    assert "••••3f2a" in body


def test_leaving_the_routing_key_empty_keeps_it(manager_client, pagerduty):
    assert channel_post(manager_client, pagerduty, name="On call (ops)").status_code == 302

    pagerduty.refresh_from_db()
    assert (pagerduty.name, pagerduty.secret) == ("On call (ops)", ROUTING_KEY)


def test_an_office_365_connector_url_is_refused_as_retired(manager_client):
    response = add(manager_client, kind="teams", url=CONNECTOR_URL)

    [message] = errors(response)["url"]
    assert "Office 365 connector" in message and "retired" in message
    assert "Workflows" in message
    assert not AlertChannel.objects.exists()


def test_a_teams_channel_without_a_url_is_refused(manager_client):
    assert list(errors(add(manager_client, kind="teams"))) == ["url"]


def test_a_saved_teams_url_is_shown_nowhere_in_the_admin(manager_client, teams):
    channel_post(manager_client, teams, name="Support room (EU)")
    pages = [
        channel_page(manager_client, teams),
        manager_client.get(reverse("admin:policies_alertchannel_changelist")),
        manager_client.get(reverse("admin:policies_alertchannel_history", args=[teams.pk])),
    ]

    for page in pages:
        assert page.status_code == 200
        assert "flowSigSecret" not in page.content.decode()
        assert "0a1b2c" not in page.content.decode()
    assert "prod-07.westeurope.logic.azure.com/…" in pages[1].content.decode()
    teams.refresh_from_db()
    assert teams.url == FLOW_URL  # kept


def test_a_user_who_may_only_view_sees_neither_secret(client, django_user_model, teams, pagerduty):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("vic", "vic@example.com", "pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_alertchannel"))
    client.force_login(viewer)

    for channel in (teams, pagerduty):
        page = channel_page(client, channel)
        assert page.status_code == 200
        body = page.content.decode()
        assert "flowSigSecret" not in body and ROUTING_KEY not in body


def test_a_routing_key_is_not_kept_for_a_new_events_api_url(manager_client, pagerduty, settings):
    # Whoever may edit the channel must not send the saved key to a URL of their choosing.
    settings.SLA_HTTP_ALLOWED_HOSTS = ["127.0.0.1", "collector.example.com"]
    url = "https://collector.example.com/v2/enqueue"
    response = channel_post(manager_client, pagerduty, url=url)

    assert "Type the signing secret or routing key again" in errors(response)["secret"][0]
    pagerduty.refresh_from_db()
    assert (pagerduty.url, pagerduty.secret) == ("", ROUTING_KEY)


def test_a_routing_key_typed_again_goes_with_the_new_url(manager_client, pagerduty):
    url = "https://events.eu.pagerduty.com/v2/enqueue"
    assert channel_post(manager_client, pagerduty, url=url, secret=ROUTING_KEY).status_code == 302

    pagerduty.refresh_from_db()
    assert (pagerduty.url, pagerduty.secret) == (url, ROUTING_KEY)
