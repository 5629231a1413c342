"""PagerDuty through its Events API v2: one incident per clock.

A clock's alerts that page (a warning, the breach, each escalation level) trigger with the same
`dedup_key`, so a repeat, a retry or the next level adds to the open incident instead of opening
a second; the clock's stop (achieved, breached = answered late, cancelled, the thread resolved)
resolves it. The stop reaches the channel even when its rule lists only the paging events
(`follows`): a page nobody resolves would keep someone awake.

Plain HTTP through slaops/outbound.py rather than the `pagerduty` client: the Events API is one
JSON POST, and every transport's request must pass the outbound gate (the address checked, the
connection pinned to it, no redirects), which a client with its own HTTP stack would bypass.
"""

import json
from urllib.parse import urlsplit

from django.conf import settings

from policies.alert_kinds import PAGERDUTY_HOSTS, pagerduty_url
from threads.alerting.transports.base import (
    Alert,
    PermanentError,
    Result,
    TransientError,
    Transport,
    header,
    post,
    retry_after_seconds,
)
from threads.models import FINISHED_STATES, ClockState, Delivery, EventKind

TIMEOUT = 10  # seconds
TRIGGERS = {EventKind.WARNING, EventKind.BREACHING, EventKind.ESCALATED}
STOPS = {EventKind.ACHIEVED, EventKind.BREACHED, EventKind.CANCELLED}
# PagerDuty's four severities, from the thread's priority.
SEVERITY = {"urgent": "critical", "high": "error", "normal": "warning", "low": "info"}
SUMMARY_LIMIT = 1024  # characters PagerDuty keeps of a summary


def installation() -> str:
    """What tells this installation's keys from another's on a shared PagerDuty service."""
    return (urlsplit(settings.SITE_URL).hostname or "slaops").lower()


def dedup_key(alert: Alert) -> str:
    if alert.is_test:
        return f"slaops-test@{installation()}"
    if alert.operator is not None:  # one incident per operator incident
        return f"slaops-operator-{alert.operator['incident']}@{installation()}"
    if alert.objective is not None:  # one incident per objective's episode
        return f"slaops-objective-{alert.objective['id']}@{installation()}"
    return f"slaops-clock-{alert.clock_id}@{installation()}"


def trigger(alert: Alert, routing_key: str) -> dict:
    source = installation()
    event = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key(alert),
        "payload": {
            "summary": alert.title[:SUMMARY_LIMIT],
            "source": source,
            "severity": SEVERITY.get(alert.priority, "warning"),
            "timestamp": alert.at.isoformat(),
            "component": alert.metric_label or "SLA",
            "group": alert.account or "",
            "class": alert.event_kind,
            "custom_details": {
                "thread": alert.thread_id,
                "subject": alert.subject,
                "account": alert.account or None,
                "priority": alert.priority_label,
                "metric": alert.metric_label,
                "state": alert.current_state_label,
                "due": alert.due_text,
                "policy": alert.policy,
                "level": alert.details.get("level"),
                **({"team": alert.team["name"]} if alert.team else {}),
            },
        },
        "links": [{"href": alert.link, "text": "Open the thread in SLA Ops"}],
        "client": "SLA Ops",
        "client_url": settings.SITE_URL,
    }
    if not alert.account:
        del event["payload"]["group"]  # PagerDuty refuses an empty group
    return event


def resolve(alert: Alert, routing_key: str) -> dict:
    return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": dedup_key(alert)}


def said_by_pagerduty(answer) -> str:
    """PagerDuty's own explanation of a refused event ("Event object is invalid: …")."""
    try:
        body = json.loads(answer.start)
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [body.get("message")] + list(body.get("errors") or [])[:3]
    return "; ".join(p for p in parts if isinstance(p, str))[:300]


class PagerDutyTransport(Transport):
    def follows(self, rule, event) -> bool:
        """A stop reaches the channel of a rule that paged for this clock (or would have): the
        clock passed a warning the rule pages for, or breached and the rule pages breaches or
        escalations. A resolve for an incident never opened is ignored by PagerDuty."""
        clock = event.clock
        if event.kind not in STOPS or clock is None:
            return False
        if rule.metrics and clock.metric not in rule.metrics:
            return False
        paged = set()
        if clock.warnings_passed:
            paged.add(EventKind.WARNING)
        if clock.breached_at or event.kind == EventKind.BREACHED:
            paged |= {EventKind.BREACHING, EventKind.ESCALATED}
        return bool(paged & set(rule.events))

    def send(self, delivery: Delivery, alert: Alert) -> Result:
        channel = delivery.channel
        if alert.is_test:  # a test opens an incident and closes it again at once
            self._post(channel, trigger(alert, channel.secret))
            return self._post(channel, resolve(alert, channel.secret))
        if alert.operator is not None:  # SLA Ops in trouble pages; its recovery resolves
            event = resolve if alert.operator["recovered"] else trigger
            return self._post(channel, event(alert, channel.secret))
        if alert.objective is not None:  # at risk and below target page; recovered resolves
            if alert.event_kind == "objective_recovered":
                return self._post(channel, resolve(alert, channel.secret))
            return self._post(channel, trigger(alert, channel.secret))
        if alert.clock_id is None:
            raise PermanentError("Nothing to page: the alert has no clock.")
        if alert.event_kind in STOPS:
            return self._post(channel, resolve(alert, channel.secret))
        if alert.clock_state in FINISHED_STATES:
            # A trigger retried (or sent late) after its clock stopped would reopen an incident
            # the stop's resolve already closed, and nothing would close it again.
            state = ClockState(alert.clock_state).label.lower()
            raise PermanentError(f"Dropped: no longer true, the clock is {state} now.")
        return self._post(channel, trigger(alert, channel.secret))

    def _post(self, channel, event: dict) -> Result:
        url = pagerduty_url(channel)
        host = (urlsplit(url).hostname or "").lower()
        if host not in PAGERDUTY_HOSTS and host not in {
            h.lower() for h in settings.SLA_HTTP_ALLOWED_HOSTS
        }:
            # Checked on save too; a URL stored some other way never gets the routing key.
            raise PermanentError(f"{host} is not PagerDuty's Events API.", disable_channel=True)
        answer = post(
            url,
            to="PagerDuty",
            body=json.dumps(event).encode(),
            headers={"Content-Type": "application/json", "User-Agent": "SLA-Ops/1"},
            timeout=TIMEOUT,
            read=1024,
        )
        code = answer.status
        if 200 <= code < 300:  # 202 Accepted: queued for the service
            return Result(code)
        explained = said_by_pagerduty(answer)
        said = f"PagerDuty answered {answer.said}" + (f": {explained}" if explained else "")
        if code == 429 or code >= 500:
            wait = retry_after_seconds(header(answer.headers, "Retry-After"))
            raise TransientError(said, code, retry_after=wait)
        if code in (404, 410):  # not an Events API at this URL: fix the channel
            raise PermanentError(said, code, disable_channel=True)
        if 300 <= code < 400:
            raise PermanentError(f"{said} (redirects are not followed)", code)
        raise PermanentError(said, code)  # 400: the event or the routing key is wrong
