"""What the processes count as they work (slaops/metrics/instruments.py), each after a known
event: a counter's value goes up by exactly what happened."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from prometheus_client import REGISTRY

from mail.connections import MailServerError
from mail.models import Mailbox
from slackapp import inbound
from slackapp.models import SlackApp, SlackEvent
from tests.factories import policy, tier
from tests.metrics.scrape import value
from tests.threads.test_delivery import NOW, breach, channel, configure, mail, run, travel
from threads.evaluator import evaluate
from threads.models import Delivery
from threads.services import message_receive, thread_create

pytestmark = pytest.mark.django_db
__all__ = ["mail"]  # the fixture, for the test that sends e-mail


class Counted:
    """A sample's value now, to compare with after: counters live for the whole process."""

    def __init__(self, name: str, **labels):
        self.name, self.labels = name, labels
        self.before = self.now()

    def now(self) -> float:
        return REGISTRY.get_sample_value(self.name, self.labels) or 0.0

    @property
    def added(self) -> float:
        return self.now() - self.before


def test_deliveries_count_by_transport_and_outcome(mail):
    addresses = "gone@example.com\nbusy@example.com\nok@example.com"
    mail.refuse.update(
        {"gone@example.com": "550 5.1.1 No such user", "busy@example.com": "451 4.3.0 Try later"}
    )
    configure(channels=[channel("email", addresses=addresses)])
    counts = {o: Counted("slaops_deliveries_total", transport="email", outcome=o) for o in
              ("sent", "retry", "dead", "dropped")}  # fmt: skip
    breach()
    run()
    assert {o: c.added for o, c in counts.items()} == {
        "sent": 1, "retry": 1, "dead": 1, "dropped": 0
    }  # fmt: skip


def test_a_delivery_to_a_disabled_channel_is_dropped_not_dead():
    webhook = channel("webhook", url="https://hooks.example.com/x")
    configure(channels=[webhook])
    breach()
    webhook.enabled = False
    webhook.save()
    dropped = Counted("slaops_deliveries_total", transport="webhook", outcome="dropped")
    run()
    assert dropped.added == 1 and Delivery.objects.get().status == "dropped"


def test_the_evaluator_counts_warnings_and_breaches_by_metric_once():
    tier("Free", default=True)
    policy("Round the clock", page_24_7=True, thresholds=[("percent_used", 50)])
    with travel(NOW):
        thread_create(subject="Printer on fire", first_message="help")
    warnings = Counted("slaops_warnings_total", metric="first_response")
    breaches = Counted("slaops_breaches_total", metric="first_response")
    evaluate(now=NOW + timedelta(minutes=31))
    assert (warnings.added, breaches.added) == (1, 0)
    evaluate(now=NOW + timedelta(minutes=61))
    evaluate(now=NOW + timedelta(minutes=62))  # nothing new has come due
    assert (warnings.added, breaches.added) == (1, 1)


def test_each_evaluator_tick_is_timed(settings):
    from threads.tasks import evaluate as evaluate_task

    settings.SLA_TICK_SECONDS = 0  # one tick a run
    ticks = Counted("slaops_evaluator_tick_seconds_count")
    evaluate_task()
    assert ticks.added == 1


def test_inbound_messages_count_by_channel_once_committed(django_capture_on_commit_callbacks):
    configure()
    slack = Counted("slaops_inbound_messages_total", channel="slack")
    with django_capture_on_commit_callbacks(execute=True):
        thread = thread_create(subject="Hi", first_message="help", channel="slack").thread
    with django_capture_on_commit_callbacks(execute=True):
        message_receive(thread=thread, body="still broken", external_id="m2")
    with django_capture_on_commit_callbacks(execute=True):
        message_receive(thread=thread, body="still broken", external_id="m2")  # a repeat
    assert slack.added == 2


def test_a_failed_mail_poll_is_counted(monkeypatch):
    from mail import imap

    box = Mailbox.objects.create(name="Support", address="s@x.example", imap_host="imap.x")

    def refused(mailbox):
        raise MailServerError("The server refused the user name or password.")

    monkeypatch.setattr(imap, "imap_open", refused)
    failures = Counted("slaops_mail_poll_failures_total")
    with pytest.raises(MailServerError):
        imap.poll(box)
    assert failures.added == 1


def test_slack_events_count_by_outcome():
    app = SlackApp.objects.create(team_id="T1", bot_token="xoxb-1", signing_secret="s")
    event = SlackEvent.objects.create(
        app=app, event_id="Ev1", kind="message", channel_id="C9", payload={"event": {}}
    )
    ignored = Counted("slaops_slack_events_total", outcome="ignored")
    inbound.handle(event.pk)
    inbound.handle(event.pk)  # handled already: not counted again
    assert ignored.added == 1


def test_request_latency_is_labelled_by_url_name_never_the_path(client):
    login = Counted("slaops_http_request_duration_seconds_count", view="login", method="GET")
    unresolved = Counted(
        "slaops_http_request_duration_seconds_count", view="unresolved", method="GET"
    )
    client.get("/login/")
    client.get("/no/such/page/12345/")
    assert (login.added, unresolved.added) == (1, 1)


def test_multiprocess_mode_sums_what_each_worker_counted(tmp_path):
    """Two worker processes count into PROMETHEUS_MULTIPROC_DIR; a third reads the sum."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    count = (
        "from slaops.metrics.instruments import DELIVERIES;"
        "DELIVERIES.labels(transport='webhook', outcome='sent').inc()"
    )
    read = (
        "from prometheus_client import generate_latest;"
        "from slaops.metrics.exposition import process_registry;"
        "print(generate_latest(process_registry()).decode())"
    )
    here = django_settings.BASE_DIR
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True, cwd=here)
    page = subprocess.run(
        [sys.executable, "-c", read], env=env, check=True, capture_output=True, text=True, cwd=here
    ).stdout
    assert value(page, "slaops_deliveries_total", transport="webhook", outcome="sent") == 2


def test_a_cluster_metrics_port_without_a_multiprocess_dir_refuses_to_start(settings, monkeypatch):
    from django.core.management.base import CommandError

    from slaops.management.commands.qcluster import metrics_server_wanted

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    settings.SLA_CLUSTER_METRICS_PORT = 0
    assert metrics_server_wanted() is False
    settings.SLA_CLUSTER_METRICS_PORT = 9464
    with pytest.raises(CommandError, match="PROMETHEUS_MULTIPROC_DIR"):
        metrics_server_wanted()
