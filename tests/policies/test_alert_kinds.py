"""The two tables every alert kind is declared in: each transport line has all its pieces, and
the models' choices, the outbox and the rules all read from them."""

import pytest
from django.core.exceptions import ValidationError

from policies.alert_kinds import (
    ALERT_EVENTS,
    DESTINATION_FIELDS,
    TRANSPORTS,
    AlertEvent,
    channel_kinds,
    delivery_kinds,
)
from policies.models import AlertChannel
from threads.alerting.alert import state_transition
from threads.alerting.transports import transport_for
from threads.alerting.transports.base import Transport
from threads.models import Delivery, EventKind, SlaEvent


@pytest.mark.parametrize("value", TRANSPORTS)
def test_every_transport_has_a_sender_its_fields_and_a_check(value):
    kind = TRANSPORTS[value]

    assert isinstance(transport_for(value), Transport)
    assert type(transport_for(value)).send is not Transport.send
    assert kind.fields and set(kind.fields) <= set(DESTINATION_FIELDS)
    assert kind.secret in ("", *kind.fields)
    with pytest.raises(ValidationError):
        kind.check(AlertChannel(name="Empty", kind=value))  # a channel with no destination


def test_channels_and_deliveries_offer_exactly_the_declared_transports():
    channel_kind = AlertChannel._meta.get_field("kind")
    delivery_kind = Delivery._meta.get_field("kind")

    assert dict(channel_kind.choices) == {v: k.channel_label for v, k in TRANSPORTS.items()}
    assert dict(delivery_kind.choices) == {v: k.label for v, k in TRANSPORTS.items()}
    assert dict(AlertChannel.Kind.choices) == dict(channel_kind.choices)
    assert dict(Delivery.Kind.choices) == dict(delivery_kind.choices)
    assert "in_app" not in dict(delivery_kind.choices)  # in-app notes are their own table
    assert max(map(len, TRANSPORTS)) <= min(channel_kind.max_length, delivery_kind.max_length)


def test_a_new_transport_needs_no_migration(monkeypatch):
    monkeypatch.setitem(TRANSPORTS, "pager", TRANSPORTS["webhook"])

    assert "pager" in dict(AlertChannel._meta.get_field("kind").choices)
    assert "pager" in dict(Delivery._meta.get_field("kind").choices)
    # What makemigrations writes is the function, not today's list.
    for model, choices in ((AlertChannel, channel_kinds), (Delivery, delivery_kinds)):
        assert model._meta.get_field("kind").deconstruct()[3]["choices"] is choices


def test_quiet_hours_hold_people_s_channels_but_not_webhooks_or_pages():
    held = {value for value, kind in TRANSPORTS.items() if kind.held_in_quiet_hours}

    assert held == {"email", "slack", "teams", "slack_app"}
    assert not TRANSPORTS["pagerduty"].held_in_quiet_hours  # paging is for waking people


@pytest.mark.parametrize("value", ALERT_EVENTS)
def test_every_alert_event_is_an_sla_event_with_a_state_change(value):
    assert value in EventKind.values
    previous, current = state_transition(SlaEvent(kind=value, details={}))

    assert previous and current  # the webhook names where the clock came from and went


def test_rules_offer_exactly_the_events_that_alert():
    assert dict(AlertEvent.choices) == {v: e.label for v, e in ALERT_EVENTS.items()}
