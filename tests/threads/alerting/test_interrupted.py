"""A worker that dies mid-send: its delivery is sent again once the claim ends, under the same
Message-ID / webhook-id, and the attempt log says the second one may be a repeat."""

from datetime import timedelta

import pytest

from tests.threads.test_delivery import NOW, breach, channel, configure, run
from threads.alerting.claims import INTERRUPTED, claim, lease
from threads.models import Delivery

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def killed_mid_send():
    """Claimed (about to send) by a worker that then died."""
    row = Delivery.objects.get()
    claimed = claim(row, now=NOW)
    assert claimed == NOW + lease()
    # ... and its claim has since run out.
    Delivery.objects.update(claimed_until=NOW - timedelta(seconds=1))
    return row


def test_an_email_cut_off_mid_send_is_sent_again_with_the_same_message_id_marked(mail):
    configure(channels=[channel("email", addresses="ops@example.com")])
    breach()
    assert run().sent == 1
    first_id = mail.received[0].message["Message-ID"].strip()
    Delivery.objects.update(status="pending", sent_at=None)  # as if the record never happened
    killed_mid_send()

    assert run().sent == 1

    row = Delivery.objects.get()
    assert (
        mail.received[1].message["Message-ID"].strip()
        == first_id
        == f"<sla-delivery-{row.uid}@sla.example.com>"
    )
    interrupted, repeat = row.log.all()[1:]
    assert (interrupted.ok, interrupted.error) == (False, INTERRUPTED)
    assert "may be a repeat" in interrupted.error
    assert repeat.ok and repeat.may_be_repeat
    assert row.interrupted


def test_a_webhook_cut_off_mid_send_keeps_its_id_and_is_marked(web):
    configure(channels=[channel("webhook", url=web.script("/hook", ["200"]))])
    breach()
    killed_mid_send()

    assert run().sent == 1

    row = Delivery.objects.get()
    [request] = web.to("/hook")
    assert request.headers["webhook-id"] == f"dlv_{row.uid.hex}"
    assert [(a.ok, a.may_be_repeat) for a in row.log.all()] == [(False, True), (True, True)]


def test_a_claim_still_running_is_left_alone(mail):
    configure(channels=[channel("email", addresses="ops@example.com")])
    breach()
    row = Delivery.objects.get()
    claim(row, now=NOW)

    assert run(NOW + lease() - timedelta(seconds=1)).sent == 0

    assert mail.received == []
    assert Delivery.objects.get().status == "sending"


def test_webhook_ids_differ_between_deliveries_even_after_a_database_reset(web):
    configure(
        channels=[
            channel("webhook", "A", url=web.script("/a", ["200"])),
            channel("webhook", "B", url=web.script("/b", ["200"])),
        ]
    )
    breach()
    run()
    ids = {r.headers["webhook-id"] for r in web.requests}
    assert len(ids) == 2 and all(len(i) == len("dlv_") + 32 for i in ids)
