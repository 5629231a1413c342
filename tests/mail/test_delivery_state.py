"""An e-mailed reply's delivery state as the agent sees it, through the reply channel registry:
queued, then sent (with its Message-ID), retrying (next try, reason), failed (reason)."""

from datetime import timedelta

import pytest

from mail.ingest import ingest
from mail.models import OutboundEmail
from mail.outbox import send_due
from tests.mail.conftest import MONDAY, at, mail
from tests.threads.servers import free_port, smtp_server
from threads import services
from threads.replies import registry

pytestmark = [pytest.mark.django_db, pytest.mark.both]
REPLIED = MONDAY + timedelta(minutes=5)


@pytest.fixture
def thread(desk):
    with at(MONDAY):
        return ingest(mail(), mailbox=desk["mailbox"], via="file").inbound.thread


def reply(thread, agent):
    with at(REPLIED):
        message, _ = services.agent_reply(thread=thread, author=agent, body="On it", send=True)
    return message


def use_smtp(mailbox, host, port):
    mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security = host, port, "none"
    mailbox.save()


def test_a_reply_is_queued_then_sent_with_its_message_id(thread, agent, desk):
    message = reply(thread, agent)
    queued = registry.delivery_of(message)
    assert (queued.state, queued.channel, queued.at) == ("queued", "email", REPLIED)
    assert "ann@acme.com" in queued.detail
    with smtp_server() as server:
        use_smtp(desk["mailbox"], server.host, server.port)
        with at(REPLIED + timedelta(seconds=3)):
            send_due()
    sent = registry.delivery_of(message)
    assert (sent.state, sent.at) == ("sent", REPLIED + timedelta(seconds=3))
    assert sent.external_id == OutboundEmail.objects.get().message_id
    assert sent.as_dict()["next_attempt_at"] is None


def test_a_mail_server_that_is_down_makes_it_retrying_with_the_next_try_and_the_reason(
    thread, agent, desk
):
    use_smtp(desk["mailbox"], "127.0.0.1", free_port())
    message = reply(thread, agent)
    with at(REPLIED):
        send_due()
    retrying = registry.delivery_of(message)
    assert retrying.state == "retrying" and "Nothing answers at 127.0.0.1" in retrying.detail
    assert retrying.next_attempt_at > REPLIED and retrying.at == REPLIED


def test_a_refused_recipient_makes_it_failed_with_the_reason_and_try_again_queues_it(
    thread, agent, desk
):
    with smtp_server(refuse={"ann@acme.com": "550 No such user"}) as server:
        use_smtp(desk["mailbox"], server.host, server.port)
        message = reply(thread, agent)
        with at(REPLIED):
            send_due()
    failed = registry.delivery_of(message)
    assert (failed.state, failed.detail) == ("failed", "Recipient refused: 550 No such user")
    with at(REPLIED + timedelta(minutes=1)):
        services.reply_retry(message=message)
    again = registry.delivery_of(message)
    assert (again.state, again.at) == ("queued", REPLIED + timedelta(minutes=1))
