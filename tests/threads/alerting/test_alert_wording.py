"""An alert e-mail says what happened once and plainly: "Event: Breaching", never
"Breaching (Breaching)"; the clock's state only where it says more than the event."""

from dataclasses import replace

from threads.alerting.alert import sample_alert
from threads.alerting.transports.email import render
from threads.models import ClockState


def real(event_label: str, state: str):
    return replace(sample_alert(), event_label=event_label, current_state=state, is_test=False)


def test_a_breaching_alert_says_breaching_once():
    _, text, html = render(real("Breaching", ClockState.BREACHING))
    assert "Event:     Breaching\n" in text
    assert "Breaching (Breaching)" not in text and "Breaching (Breaching)" not in html
    assert "<td>Breaching</td>" in html


def test_a_warning_names_the_state_it_left_the_clock_in():
    _, text, _ = render(real("Warning", ClockState.IMMINENT_BREACH))
    assert "Event:     Warning (the clock is now imminent breach)\n" in text


def test_a_test_alert_says_test():
    _, text, _ = render(sample_alert())
    assert "Event:     Test\n" in text
