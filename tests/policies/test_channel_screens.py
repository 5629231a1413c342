"""The alert channel pages as a manager reads them: when a channel was disabled, in the manager's
own zone like every other time; the webhook signing secret explained once, and rightly for a new
channel (left empty, one is generated) and for a saved one (kept unless replaced)."""

from datetime import UTC, datetime

import pytest

from accounts.models import AgentProfile
from policies.models import AlertChannel

pytestmark = [pytest.mark.django_db]

SECRET = "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQQ=="


@pytest.fixture
def berlin_manager(manager_client, manager):
    AgentProfile.objects.create(user=manager, time_zone="Europe/Berlin")
    return manager_client


def test_disabled_at_is_shown_in_the_managers_zone(berlin_manager):
    channel = AlertChannel.objects.create(
        name="Ops hook",
        kind="webhook",
        url="https://hooks.example.com/sla",
        secret=SECRET,
        enabled=False,
        disabled_reason="410 Gone",
        disabled_at=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
    )
    listing = berlin_manager.get("/admin/policies/alertchannel/").content.decode()
    page = berlin_manager.get(f"/admin/policies/alertchannel/{channel.pk}/change/")
    for html in (listing, page.content.decode()):
        assert "Mon 23 Nov 2026 11:00 CET" in html
        assert "10:00" not in html


def helps(html: str, field: str = "secret") -> list[str]:
    """Every help text in the field's row: the field's own and its widget's."""
    import re

    row = html[html.index(f"field-{field}") :]
    row = row[: row.index("form-row", 10)] if "form-row" in row[10:] else row
    return [
        re.sub(r"<[^>]+>", "", h).strip()
        for h in re.findall(r'class="help[^"]*"[^>]*>(.*?)</div>', row, re.S)
    ]


def kind_texts(html: str) -> dict:
    import html as html_lib
    import json
    import re

    raw = re.search(r'data-kind-texts="([^"]*)"', html).group(1)
    return json.loads(html_lib.unescape(raw))


def test_a_new_webhook_channel_says_once_that_an_empty_secret_is_generated(manager_client):
    html = manager_client.get("/admin/policies/alertchannel/add/").content.decode()
    generated = [h for h in helps(html) if "generated" in h]
    assert len(generated) == 1
    assert "Leave empty to have one generated" in kind_texts(html)["webhook"]["secret"][1]


def test_a_saved_webhook_secret_is_explained_once_and_never_as_generated_when_empty(
    manager_client,
):
    channel = AlertChannel.objects.create(
        name="Ops hook", kind="webhook", url="https://hooks.example.com/sla", secret=SECRET
    )
    html = manager_client.get(f"/admin/policies/alertchannel/{channel.pk}/change/").content.decode()
    said = helps(html)
    assert [h for h in said if "Leave empty to keep it" in h] == [
        f"Saved: ••••{SECRET[-4:]}. Leave empty to keep it, or type a new one to replace it."
    ]
    assert not [h for h in said if "generated" in h.lower()]
    webhook_help = kind_texts(html)["webhook"]["secret"][1]
    assert "generated" not in webhook_help.lower() and "Signs every alert" in webhook_help
    assert "Generate a new secret" in html  # the tick box that replaces it
