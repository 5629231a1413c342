"""Several workspaces of one app: each receives its own events (signed with the app's one signing
secret), alerts of its threads go to its own triage channel, and an install made by hand before
the app had credentials keeps working."""

import importlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.apps import apps

from accounts.models import Account
from policies.models import AlertChannel, NotificationRule, WarningThreshold
from slackapp.models import SlackApp, SlackChannel, SlackCredentials, SlackEvent
from tests.factories import policy
from tests.slackapp.conftest import SECRET, callback, message
from threads.alerting.delivery import deliver_due
from threads.evaluator import evaluate
from threads.models import Thread

pytestmark = pytest.mark.django_db

APP_SECRET = "c0ffee0123456789abcdef0123456789"
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def two_workspaces(db, slack, tasks_inline):
    sla = policy("Slack customers", targets=(("first_response", "", 60),))
    SlackCredentials.objects.create(signing_secret=APP_SECRET, client_id="1.2", client_secret="c")
    made = []
    for team in ("T0ONE", "T0TWO"):
        app = SlackApp.objects.create(name=team, team_id=team, bot_token=f"xoxb-{team}")
        account = Account.objects.create(name=f"Customer of {team}")
        SlackChannel.objects.create(app=app, channel_id=f"C{team}", account=account)
        made.append(app)
    return sla, made


def said(team: str, text: str, at: datetime) -> dict:
    return callback(message(at.timestamp(), text, channel=f"C{team}"), team=team)


def test_each_workspace_receives_its_own_events_signed_with_the_apps_secret(
    two_workspaces, post_event
):
    _, (one, two) = two_workspaces
    now = datetime.now(UTC)
    assert post_event(said("T0TWO", "Export broken", now), secret=APP_SECRET).status_code == 200
    assert post_event(said("T0ONE", "Login broken", now), secret=APP_SECRET).status_code == 200

    assert {e.app.team_id: e.channel_id for e in SlackEvent.objects.all()} == {
        "T0ONE": "CT0ONE",
        "T0TWO": "CT0TWO",
    }
    assert sorted(Thread.objects.values_list("source", "subject")) == [
        ("slack:T0ONE", "Login broken"),
        ("slack:T0TWO", "Export broken"),
    ]
    assert post_event(said("T0ONE", "Hi", now), secret=SECRET).status_code == 401


def test_a_disabled_workspaces_events_are_answered_but_not_kept(two_workspaces, post_event):
    _, (one, two) = two_workspaces
    two.enabled = False
    two.save()
    answer = post_event(said("T0TWO", "Hello", datetime.now(UTC)), secret=APP_SECRET)
    assert answer.status_code == 200 and not SlackEvent.objects.exists()


def test_slack_checking_the_request_url_before_any_install_is_answered(db, post_event):
    SlackCredentials.objects.create(signing_secret=APP_SECRET)
    answer = post_event({"type": "url_verification", "challenge": "abc"}, secret=APP_SECRET)
    assert answer.json() == {"challenge": "abc"}


def test_an_org_wide_install_receives_the_events_of_its_orgs_workspaces(db, slack, post_event):
    SlackCredentials.objects.create(signing_secret=APP_SECRET)
    org = SlackApp.objects.create(
        name="Grid", enterprise_id="E0GRID", is_enterprise_install=True, bot_token="xoxb-g"
    )
    event = said("T0ANY", "Hello", datetime.now(UTC))
    event["authorizations"] = [{"enterprise_id": "E0GRID", "team_id": None}]
    assert post_event(event, secret=APP_SECRET).status_code == 200
    assert SlackEvent.objects.get().app == org


def test_alerts_go_to_the_triage_channel_of_the_threads_workspace(
    two_workspaces, post_event, slack
):
    sla, (one, two) = two_workspaces
    two.triage_channel_id = "C0TRIAGETWO"
    two.save()
    triage = AlertChannel.objects.create(name="Triage", kind="slack_app", addresses="C0TRIAGE")
    WarningThreshold.objects.create(policy=sla, kind="minutes_before", value=15)
    rule = NotificationRule.objects.create(policy=sla, events=["warning"], in_app=False)
    rule.channels.set([triage])
    with time_machine.travel(MONDAY + timedelta(seconds=1), tick=False):
        post_event(said("T0ONE", "Login broken", MONDAY), secret=APP_SECRET)
        post_event(said("T0TWO", "Export broken", MONDAY), secret=APP_SECRET)
    with time_machine.travel(MONDAY + timedelta(minutes=46), tick=False):
        evaluate()
        deliver_due()

    posts = {c.args["channel"]: c.token for c in slack.to("chat.postMessage")}
    assert posts == {"C0TRIAGE": "xoxb-T0ONE", "C0TRIAGETWO": "xoxb-T0TWO"}


def test_the_upgrade_moves_a_hand_made_installs_signing_secret_to_the_app(db):
    moved = importlib.import_module("slackapp.migrations.0006_one_app_many_installations")
    SlackApp.objects.create(team_id="T0OLD", bot_token="xoxb-1", signing_secret=SECRET)
    moved.move_signing_secret(apps, None)
    assert SlackCredentials.load().signing_secret == SECRET
    assert SlackApp.objects.get().signing_secret == ""


def test_the_upgrade_leaves_apps_of_their_own_their_secrets(db):
    moved = importlib.import_module("slackapp.migrations.0006_one_app_many_installations")
    SlackApp.objects.create(team_id="T0A", bot_token="xoxb-1", signing_secret=SECRET)
    SlackApp.objects.create(team_id="T0B", bot_token="xoxb-2", signing_secret=APP_SECRET)
    moved.move_signing_secret(apps, None)
    assert not SlackCredentials.objects.exists()
    assert set(SlackApp.objects.values_list("team_id", flat=True)) == {"T0A", "T0B"}
    assert {app.signing_secret for app in SlackApp.objects.all()} == {SECRET, APP_SECRET}


def test_an_org_wide_installs_own_people_are_agents_and_another_orgs_are_customers(
    workspace, slack, post_event
):
    """In a Slack Connect channel of an org-wide install, our members write from any workspace
    of our org (auth.teams.list); only another organisation's members are the customer."""
    slack.org_teams = ["T0SALES", "T0SUPPORT"]
    slack.users["UAGENT"] = {"name": "Alex", "email": "alex@example.com", "team": "T0SUPPORT"}
    slack.users["UAGENT"]["enterprise"] = "E0GRID"
    SlackApp.objects.filter(pk=workspace.pk).update(
        team_id="", enterprise_id="E0GRID", is_enterprise_install=True
    )
    workspace.users.all().delete()  # the agent is found by users.info, not linked by hand
    grid = [{"enterprise_id": "E0GRID", "team_id": None, "is_enterprise_install": True}]
    now = datetime.now(UTC).timestamp()

    def said(event: dict) -> None:
        payload = callback(event, team="T0CUSTOMER") | {"is_ext_shared_channel": True}
        assert post_event(payload | {"authorizations": grid}).status_code == 200

    from slackapp import catchup

    catchup.catch_up()  # learns the org's workspaces
    said(message(now - 60, "Exports fail", user_team="T0CUSTOMER"))
    said(message(now - 30, "Looking now", user="UAGENT", thread_ts=now - 60, user_team="T0SALES"))
    thread = Thread.objects.get(source="slack:E0GRID")
    assert list(thread.messages.order_by("created_at").values_list("author_kind", flat=True)) == [
        "customer",
        "agent",
    ]
    assert thread.clocks.get(metric="first_response").state == "achieved"


@pytest.mark.parametrize(
    "event",
    [
        {"type": "app_uninstalled"},
        {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT"]}},
    ],
    ids=["uninstalled", "bot-token-revoked"],
)
def test_an_uninstalled_workspace_loses_its_token_and_is_disabled_with_the_reason(
    two_workspaces, post_event, event
):
    _, (one, two) = two_workspaces
    payload = callback(event, team="T0TWO")
    assert post_event(payload, secret=APP_SECRET).status_code == 200

    two.refresh_from_db()
    one.refresh_from_db()
    assert (two.enabled, two.bot_token) == (False, "")
    assert "install again" in two.last_error
    assert (one.enabled, one.bot_token) == (True, "xoxb-T0ONE")  # the other workspace is untouched
    assert not SlackEvent.objects.exists()


def test_a_revoked_user_token_leaves_the_bot_installed(two_workspaces, post_event):
    _, (one, two) = two_workspaces
    event = {"type": "tokens_revoked", "tokens": {"oauth": ["U0PERSON"], "bot": []}}
    post_event(callback(event, team="T0TWO"), secret=APP_SECRET)
    two.refresh_from_db()
    assert (two.enabled, two.bot_token) == (True, "xoxb-T0TWO")
