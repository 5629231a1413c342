"""The kinds of alert, each declared once: which SLA events alert (`ALERT_EVENTS`: a notification
rule picks among them) and which transports carry them (`TRANSPORTS`: a channel's kind and a
delivery's kind). Model choices, the outbox, the channel form and the delivery task all derive
from these two tables, as healthchecks derives its channel kinds from its `TRANSPORTS`.

A new transport is one module in threads/alerting/transports/ (its `Transport` class) and one
line in `TRANSPORTS`; the `kind` fields' choices are callables, so it needs no migration. The
tables live here, below threads/, because policies' models must not import threads: the line
names its class by path.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models

# A channel's fields that carry its destination; each kind needs some of them.
DESTINATION_FIELDS = ("addresses", "url", "secret")


def addresses_are_emails(channel) -> None:
    from django.core.validators import validate_email

    if not channel.address_list():
        raise ValidationError({"addresses": "Give at least one e-mail address."})
    for address in channel.address_list():
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError({"addresses": f"“{address}” is not an e-mail address."}) from None


def url_is_allowed(channel, *, slack: bool = False) -> None:
    """The URL passes the outbound gate's check (slaops/outbound.py) before it is ever saved."""
    from slaops.outbound import DestinationNotAllowed, check_url, refusal_words

    if not channel.url:
        raise ValidationError({"url": f"A {channel.get_kind_display()} channel needs a URL."})
    try:
        check_url(channel.url, slack=slack)
    except DestinationNotAllowed as error:
        raise ValidationError({"url": refusal_words(str(error))}) from None


def slack_url_is_allowed(channel) -> None:
    url_is_allowed(channel, slack=True)


def webhook_is_valid(channel) -> None:
    """An allowed URL and a Standard Webhooks signing secret (empty: one is generated on save)."""
    url_is_allowed(channel)
    if not channel.secret:
        return
    from standardwebhooks import Webhook

    try:
        Webhook(channel.secret)
    except Exception:  # the library raises its own and binascii errors
        raise ValidationError(
            {
                "secret": "A signing secret is “whsec_” followed by base64 (at least 24 bytes); "
                "leave it empty to have one generated."
            }
        ) from None
    if len(channel.secret.removeprefix("whsec_")) < 32:
        raise ValidationError({"secret": "A signing secret needs at least 24 random bytes."})


# PagerDuty's Events API v2 (US and EU service regions): the routing key travels in the body, so
# a channel only sends it to PagerDuty (or a host the operator allows, SLA_HTTP_ALLOWED_HOSTS),
# never to a URL someone who may edit but not read the channel typed in.
PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
PAGERDUTY_HOSTS = frozenset({"events.pagerduty.com", "events.eu.pagerduty.com"})


def pagerduty_url(channel) -> str:
    return channel.url or PAGERDUTY_EVENTS_URL


def pagerduty_is_valid(channel) -> None:
    """A routing key (an Events API v2 integration key: 32 letters and digits) and, if given,
    an Events API URL at PagerDuty; empty means the default."""
    import re
    from urllib.parse import urlsplit

    from django.conf import settings

    if channel.url:
        url_is_allowed(channel)
        host = (urlsplit(channel.url).hostname or "").lower()
        allowed = {h.lower() for h in settings.SLA_HTTP_ALLOWED_HOSTS}
        if host not in PAGERDUTY_HOSTS and host not in allowed:
            raise ValidationError(
                {
                    "url": "The Events API URL must be PagerDuty's (https://events.pagerduty.com/"
                    "v2/enqueue, or events.eu.pagerduty.com); leave it empty for the default."
                }
            )
    if not channel.secret:
        raise ValidationError(
            {
                "secret": "A PagerDuty channel needs its routing key: the Integration Key of the "
                "service's Events API v2 integration."
            }
        )
    if not re.fullmatch(r"[A-Za-z0-9]{32}", channel.secret):
        raise ValidationError(
            {"secret": "A PagerDuty routing key is 32 letters and digits; paste it again."}
        )


def teams_url_is_valid(channel) -> None:
    """An allowed URL of a Teams Workflows webhook, not a retired Office 365 connector's."""
    from urllib.parse import urlsplit

    url_is_allowed(channel)
    parts = urlsplit(channel.url)
    host, path = (parts.hostname or "").lower(), parts.path.lower()
    connector = (host.endswith(".webhook.office.com") and path.startswith("/webhookb2/")) or (
        host in ("outlook.office.com", "outlook.office365.com") and path.startswith("/webhook")
    )
    if connector:
        raise ValidationError(
            {
                "url": "This is an Office 365 connector URL; Microsoft has retired those. In "
                "Teams, create a Workflows flow “Post to a channel when a webhook request is "
                "received” and paste its URL."
            }
        )


def slack_channel_is_given(channel) -> None:
    """One Slack channel id (C…, G… for a private channel) the Slack app posts its alerts in."""
    import re

    given = channel.address_list()
    if len(given) != 1 or not re.fullmatch(r"[CG][A-Z0-9]{2,19}", given[0]):
        raise ValidationError(
            {
                "addresses": "Give the triage channel's Slack channel id, e.g. C0123ABCD (channel "
                "details → About); the bot must be a member of it."
            }
        )


@dataclass(frozen=True)
class TransportKind:
    label: str  # the kind in the delivery log: "Slack"
    channel_label: str  # the kind a manager picks for a channel: "Slack (incoming webhook)"
    transport: str  # the class that prepares and sends its alerts (threads/alerting/transports/)
    fields: tuple[str, ...]  # the channel's DESTINATION_FIELDS it uses; the form shows these
    check: Callable  # check(channel) raises ValidationError({field: why}) for a bad destination
    # The field that is write-only once saved (secret_fields.SecretField): the form shows only
    # a hint of it ("••••3f2a") and the admin never renders it back.
    secret: str = ""
    # The field naming where the secret itself is sent (PagerDuty's routing key travels in the
    # body to its URL): when it changes, the saved secret must be typed again.
    secret_sent_to: str = ""
    held_in_quiet_hours: bool = True  # paging: held until the calendar opens (unless 24/7)


TRANSPORTS: dict[str, TransportKind] = {
    "email": TransportKind(
        label="E-mail",
        channel_label="E-mail addresses",
        transport="threads.alerting.transports.email.EmailTransport",
        fields=("addresses",),
        check=addresses_are_emails,
    ),
    "slack": TransportKind(
        label="Slack",
        channel_label="Slack (incoming webhook)",
        transport="threads.alerting.transports.slack.SlackTransport",
        fields=("url",),
        check=slack_url_is_allowed,
        secret="url",  # whoever has an incoming-webhook URL can post to the channel
    ),
    "webhook": TransportKind(
        label="Webhook",
        channel_label="Webhook (Standard Webhooks, signed)",
        transport="threads.alerting.transports.webhook.WebhookTransport",
        fields=("url", "secret"),
        check=webhook_is_valid,
        secret="secret",
        held_in_quiet_hours=False,  # machines read it; they decide themselves whom to wake
    ),
    "pagerduty": TransportKind(
        label="PagerDuty",
        channel_label="PagerDuty (Events API v2)",
        transport="threads.alerting.transports.pagerduty.PagerDutyTransport",
        fields=("url", "secret"),  # the Events API URL (empty: the default), the routing key
        check=pagerduty_is_valid,
        secret="secret",  # whoever has the routing key can open incidents on the service
        secret_sent_to="url",
        held_in_quiet_hours=False,  # paging is for waking people: PagerDuty's schedules decide
    ),
    "teams": TransportKind(
        label="Microsoft Teams",
        channel_label="Microsoft Teams (Workflows webhook)",
        transport="threads.alerting.transports.teams.TeamsTransport",
        fields=("url",),
        check=teams_url_is_valid,
        secret="url",  # a Workflows URL carries its own signature: whoever has it can post
    ),
    "slack_app": TransportKind(
        label="Slack app",
        channel_label="Slack app (triage channel and the assignee's DM; admin → Slack)",
        transport="slackapp.alerts.SlackAppTransport",
        fields=("addresses",),  # the triage channel's id; the token is the Slack app's
        check=slack_channel_is_given,
    ),
}


def transport_choices(label: str) -> type[models.TextChoices]:
    """The kinds as named constants for code (`Kind.EMAIL` = "email"); `label` is the
    TransportKind attribute that labels them."""
    return models.TextChoices(
        "Kind",
        [(value.upper(), (value, getattr(kind, label))) for value, kind in TRANSPORTS.items()],
    )


# The kind fields' choices are these callables, so their migrations name the function rather
# than copy the list: a new line in TRANSPORTS needs no migration.
def channel_kinds() -> list[tuple[str, str]]:
    return [(value, kind.channel_label) for value, kind in TRANSPORTS.items()]


def delivery_kinds() -> list[tuple[str, str]]:
    return [(value, kind.label) for value, kind in TRANSPORTS.items()]


@dataclass(frozen=True)
class AlertEventKind:
    label: str  # what a notification rule's tick box says
    title: str  # the alert's title before the thread: {metric} and, for escalations, {level}


# The SLA events that alert; their values are threads' EventKind values.
ALERT_EVENTS: dict[str, AlertEventKind] = {
    "warning": AlertEventKind("Warning (a threshold passed)", "{metric} due soon"),
    "breaching": AlertEventKind("Breaching (due time passed)", "{metric} breaching"),
    "escalated": AlertEventKind("Escalation level reached", "{metric} escalated (level {level})"),
    "breached": AlertEventKind("Breached (stopped late)", "{metric} breached"),
    "achieved": AlertEventKind("Achieved", "{metric} achieved"),
    "cancelled": AlertEventKind("Cancelled", "{metric} cancelled"),
}

AlertEvent = models.TextChoices(
    "AlertEvent",
    [(value.upper(), (value, event.label)) for value, event in ALERT_EVENTS.items()],
)
