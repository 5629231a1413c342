"""Token rotation (opt-in): a bot token expiring within minutes is refreshed once, before the Web
API call that needs it, and every call then uses the new token; two workers never refresh with
the same single-use refresh token."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from slackapp import web
from slackapp.models import SlackApp, SlackCredentials

pytestmark = pytest.mark.django_db


@pytest.fixture
def rotating(workspace, slack):
    SlackCredentials.objects.create(
        client_id=slack.client_id, client_secret=slack.client_secret, token_rotation=True
    )
    slack.refresh_tokens.add("xoxe-1-first")
    workspace.bot_token = "xoxe.xoxb-old"
    workspace.bot_refresh_token = "xoxe-1-first"
    workspace.bot_token_expires_at = timezone.now() + timedelta(minutes=3)
    workspace.save()
    return workspace


def test_a_token_expiring_within_minutes_is_refreshed_before_the_call(rotating, slack):
    web.call(rotating, "auth_test")

    (refresh,) = slack.to("oauth.v2.access")
    assert refresh.args == {"grant_type": "refresh_token", "refresh_token": "xoxe-1-first"}
    assert slack.to("auth.test")[-1].token == "xoxe.xoxb-refreshed-1"
    stored = SlackApp.objects.get()
    assert stored.bot_token == "xoxe.xoxb-refreshed-1"
    assert stored.bot_refresh_token != "xoxe-1-first"
    assert stored.bot_token_expires_at > timezone.now() + timedelta(hours=11)

    web.call(stored, "auth_test")  # fresh now: no second refresh
    assert len(slack.to("oauth.v2.access")) == 1


def test_a_worker_that_waited_for_the_lock_takes_the_token_another_one_refreshed(rotating, slack):
    # Two workers read the same expiring row; the first refreshes, the second (its copy stale)
    # finds the row refreshed once it holds the lock and uses that token: Slack's refresh
    # token is single use, a second refresh would be refused (invalid_refresh_token).
    first, second = SlackApp.objects.get(), SlackApp.objects.get()
    web.call(first, "auth_test")
    web.call(second, "auth_test")

    assert slack.refreshed == 1
    assert [c.token for c in slack.to("auth.test")] == ["xoxe.xoxb-refreshed-1"] * 2
    assert second.bot_token == "xoxe.xoxb-refreshed-1"


def test_a_token_far_from_expiring_or_rotation_turned_off_is_used_as_it_is(rotating, slack):
    rotating.bot_token_expires_at = timezone.now() + timedelta(hours=2)
    rotating.save()
    web.call(rotating, "auth_test")
    SlackCredentials.objects.update(token_rotation=False)
    rotating.bot_token_expires_at = timezone.now() + timedelta(minutes=1)
    rotating.save()
    web.call(rotating, "auth_test")

    assert not slack.to("oauth.v2.access")
    assert [c.token for c in slack.to("auth.test")] == ["xoxe.xoxb-old"] * 2


def test_a_refused_refresh_fails_the_call_for_good_with_slacks_reason(rotating, slack):
    slack.refresh_tokens.clear()  # revoked
    with pytest.raises(web.SlackFailure) as failed:
        web.call(rotating, "auth_test")
    assert failed.value.permanent and failed.value.code == "invalid_refresh_token"
    assert "token refresh refused by Slack: invalid_refresh_token" in failed.value.message
    assert not slack.to("auth.test")


@pytest.mark.server("postgres")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_refresh_the_token_once_on_postgresql(rotating, slack):
    assert connection.vendor == "postgresql"
    slack.delay["oauth.v2.access"] = 0.3  # the first refresh is still under way
    tokens, errors = [], []

    def worker():
        try:
            tokens.append(web.client(SlackApp.objects.get()).token)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=worker) for _ in range(2)]
    for each in workers:
        each.start()
    for each in workers:
        each.join(timeout=10)
    assert not errors
    assert slack.refreshed == 1 and tokens == ["xoxe.xoxb-refreshed-1"] * 2
