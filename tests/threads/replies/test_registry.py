"""One door for replies: a channel registered by one line (here a fake "pigeon" channel) carries
the replies of the threads it takes; the thread page and the API send only through the service,
show each reply's delivery state, and try a failed one again."""

from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from slaops.errors import ThreadError
from threads import services
from threads.models import Message
from threads.replies.channel import FAILED, QUEUED, SENT, ReplyChannel, ReplyDelivery

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 11, 23, 10, tzinfo=UTC)


class Pigeon(ReplyChannel):
    """Carries the replies of threads from the source "pigeon"; its loft is a dict."""

    label = "Pigeon"
    loft: dict[int, dict] = {}

    def takes(self, thread) -> bool:
        return thread.source == "pigeon"

    def problem(self, thread) -> str:
        return "The pigeon is moulting." if thread.subject == "Moulting" else ""

    def route(self, thread) -> str:
        return "carried by pigeon"

    def queue(self, *, message, author) -> None:
        self.loft[message.pk] = {"state": QUEUED, "by": author}

    def states(self, messages):
        return {
            m.pk: ReplyDelivery(
                state=self.loft[m.pk]["state"],
                channel=self.key,
                at=MONDAY,
                detail=self.loft[m.pk].get("why", "Flying."),
                external_id="ring-7" if self.loft[m.pk]["state"] == SENT else "",
            )
            for m in messages
            if m.pk in self.loft
        }

    def retry(self, *, message) -> bool:
        self.loft[message.pk] = {"state": QUEUED}
        return True


@pytest.fixture
def pigeon(settings):
    settings.SLA_REPLY_CHANNELS = {"pigeon": f"{__name__}.Pigeon"}
    Pigeon.loft.clear()
    return Pigeon.loft


@pytest.fixture
def thread(pigeon):
    return services.thread_create(subject="Help", first_message="Hi", source="pigeon").thread


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_a_registered_channel_carries_a_reply_sent_through_the_service(thread, pigeon, agent):
    message, _ = services.agent_reply(thread=thread, author=agent, body="On it", send=True)
    assert pigeon[message.pk] == {"state": QUEUED, "by": agent}


def test_a_reply_no_channel_can_carry_is_refused_and_not_recorded(pigeon, agent):
    moulting = services.thread_create(
        subject="Moulting", first_message="Hi", source="pigeon"
    ).thread
    other = services.thread_create(subject="Help", first_message="Hi", source="owl").thread
    for target, why in [(moulting, "moulting"), (other, "No channel")]:
        with pytest.raises(ThreadError) as refused:
            services.agent_reply(thread=target, author=agent, body="On it", send=True)
        assert refused.value.field == "send" and why in refused.value.message
    assert not Message.objects.filter(author_kind="agent").exists() and not pigeon


def test_an_internal_note_is_never_sent(thread, pigeon, agent):
    with pytest.raises(ThreadError):
        services.agent_reply(thread=thread, author=agent, body="psst", public=False, send=True)
    assert not pigeon


def test_the_api_shows_each_replys_delivery(thread, pigeon, agent):
    response = api(agent).post(
        f"/api/v1/threads/{thread.pk}/messages/",
        {"author": "agent", "body": "On it", "send": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["delivery"] == {
        "state": "queued",
        "channel": "pigeon",
        "at": "2026-11-23T10:00:00Z",
        "next_attempt_at": None,
        "external_id": None,
        "url": None,
        "detail": "Flying.",
    }
    pigeon[response.json()["id"]] = {"state": SENT, "why": "Landed."}
    listed = api(agent).get(f"/api/v1/threads/{thread.pk}/messages/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    customer, reply = rows
    assert customer["delivery"] is None
    assert (reply["delivery"]["state"], reply["delivery"]["external_id"]) == ("sent", "ring-7")


def test_the_api_tries_a_failed_reply_again(thread, pigeon, agent):
    message, _ = services.agent_reply(thread=thread, author=agent, body="On it", send=True)
    pigeon[message.pk] = {"state": FAILED, "why": "A hawk."}
    url = f"/api/v1/threads/{thread.pk}/messages/{message.pk}/retry/"
    response = api(agent).post(url, {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["delivery"]["state"] == "queued"
    again = api(agent).post(url, {}, format="json")
    assert again.status_code == 400
    assert "has not failed" in again.json()["errors"]["delivery"][0]


def test_retrying_a_message_that_was_not_sent_says_so(thread, agent):
    customer = thread.messages.get()
    response = api(agent).post(
        f"/api/v1/threads/{thread.pk}/messages/{customer.pk}/retry/", {}, format="json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "nothing to retry" in response.json()["errors"]["delivery"][0]


def test_the_thread_page_shows_the_state_and_a_try_again_button_for_a_failed_reply(
    thread, pigeon, agent, client
):
    client.force_login(agent)
    client.post(f"/threads/{thread.pk}/messages/", {"kind": "reply", "body": "On it"})
    message = thread.messages.get(author_kind="agent")
    assert pigeon[message.pk]["state"] == QUEUED
    pigeon[message.pk] = {"state": FAILED, "why": "A hawk took it."}
    page = client.get(f"/threads/{thread.pk}/").content.decode()
    assert 'data-delivery-state="failed" data-channel="pigeon"' in page
    assert "A hawk took it." in page and "Try again" in page
    assert "and is carried by pigeon" in page
    response = client.post(f"/threads/{thread.pk}/messages/{message.pk}/retry/")
    assert response.status_code == 302 and pigeon[message.pk]["state"] == QUEUED
