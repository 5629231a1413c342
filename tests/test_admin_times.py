"""Every admin time in the zone of the person reading it: the mailbox's last poll and the Slack
workspace's last error, like the alert channels' "disabled at" (tests/policies)."""

from datetime import UTC, datetime

import pytest

from accounts.models import AgentProfile
from mail.models import Mailbox
from slackapp.models import SlackApp

pytestmark = [pytest.mark.django_db]
AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def berlin_operator(admin_client, admin_user):
    AgentProfile.objects.create(user=admin_user, time_zone="Europe/Berlin")
    return admin_client


def test_a_mailboxs_last_poll_reads_in_the_operators_zone(berlin_operator):
    box = Mailbox.objects.create(name="Support", imap_host="imap.example.com", last_polled_at=AT)
    for url in ("/admin/mail/mailbox/", f"/admin/mail/mailbox/{box.pk}/change/"):
        html = berlin_operator.get(url).content.decode()
        assert "11 a.m." in html and "10 a.m." not in html, url


def test_a_slack_workspaces_last_error_reads_in_the_operators_zone(berlin_operator):
    app = SlackApp.objects.create(
        team_id="T0ACME", bot_token="xoxb-1", last_error="invalid_auth", last_error_at=AT
    )
    html = berlin_operator.get(f"/admin/slackapp/slackapp/{app.pk}/change/").content.decode()
    assert "11 a.m." in html and "10 a.m." not in html


def test_an_integration_keys_creation_reads_in_the_operators_zone(berlin_operator):
    from integrations.models import IntegrationKey

    key, _ = IntegrationKey.objects.create_key(name="Bridge", source="bridge")
    IntegrationKey.objects.filter(pk=key.pk).update(created=AT)
    html = berlin_operator.get("/admin/integrations/integrationkey/").content.decode()
    assert "11 a.m." in html and "10 a.m." not in html
