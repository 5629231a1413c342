"""What every transport shares: the base class, the result, the two kinds of failure
(transient = try again later, permanent = never for this delivery) and the outbound POST."""

from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from django.utils import timezone

from policies.models import AlertChannel
from slaops import outbound
from slaops.ids import parse_id
from threads.alerting.alert import Alert
from threads.models import Delivery


@dataclass(frozen=True)
class Result:
    response_code: int | None = None
    # What the transport wants kept from the answer (a Slack message's ts to update it later):
    # handed to Transport.remember by the run, outside the worker thread.
    remember: dict = field(default_factory=dict)


class TransientError(Exception):
    """Worth trying again: a timeout, a 5xx, a rate limit (`retry_after` seconds, if known)."""

    def __init__(self, message: str, response_code: int | None = None, retry_after=None):
        super().__init__(message)
        self.message = message
        self.response_code = response_code
        self.retry_after = retry_after


class PermanentError(Exception):
    """Trying again cannot help. `disable_channel`: the channel itself is gone (a revoked Slack
    webhook, a 410 endpoint), so later alerts to it are not attempted either."""

    def __init__(
        self, message: str, response_code: int | None = None, *, disable_channel: bool = False
    ):
        super().__init__(message)
        self.message = message
        self.response_code = response_code
        self.disable_channel = disable_channel


def post(url: str, *, to: str, slack: bool = False, **request) -> outbound.Answer:
    """POST through the outbound gate: a destination that is not allowed is permanent and stops
    the channel (a manager must fix its URL); no answer at all is worth trying again. `to` names
    the receiver in messages ("Slack", "Endpoint")."""
    try:
        return outbound.post(url, slack=slack, **request)
    except outbound.DestinationNotAllowed as error:
        raise PermanentError(str(error), disable_channel=True) from None
    except outbound.Unreachable as error:
        raise TransientError(f"{to} unreachable: {error}") from None


def retry_after_seconds(value: str | None) -> int | None:
    """A Retry-After header (seconds or an HTTP date) as whole seconds from now."""
    if not value:
        return None
    value = value.strip()
    seconds = parse_id(value, allow_zero=True)  # ASCII digits: "²" is a digit to isdigit()
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0, int((when - timezone.now()).total_seconds()))


def header(headers, name: str) -> str | None:
    """A header by case-insensitive name from a dict or an http.client message."""
    for key, value in dict(headers or {}).items():
        if key.lower() == name.lower():
            return value[0] if isinstance(value, list) else value
    return None


class Transport:
    """Sends one alert to one delivery's recipient; raises TransientError or PermanentError.

    `send` must not touch the database: deliveries are sent from worker threads, and everything
    the message needs is in the Alert. `recipients` and `prepare` run before, in the task.

    `group_limit` above 1: the destination takes few messages (a Slack webhook, about one a
    second), so alerts due for it at once go out as one message (`send_group`, at most this
    many alerts), one send in flight per destination."""

    group_limit = 1

    def recipients(self, channel: AlertChannel) -> list[str]:
        """One delivery per recipient of a channel's alert; most channels are one recipient."""
        return [f"channel:{channel.pk}"]

    def prepare(self, channel: AlertChannel) -> None:
        """Database work a channel needs before its alerts are sent (none, for most kinds)."""

    def follows(self, rule, event) -> bool:
        """Whether this kind's channels on `rule` also get `event` although the rule does not
        list it (PagerDuty: the stop of a clock it paged for, which resolves the incident). Runs
        when the outbox is written, on loaded rows: no queries."""
        return False

    def send(self, delivery: Delivery, alert: Alert) -> Result:
        raise NotImplementedError

    def send_group(self, delivery: Delivery, alerts: list[Alert]) -> Result:
        """One message about several alerts to `delivery`'s destination (they share it)."""
        raise NotImplementedError

    def remember(self, delivery: Delivery, kept: dict) -> None:
        """Database work after a send that returned Result(remember=…) (none, for most kinds)."""
