"""One attempt to send one delivery, in a worker thread: the transport's answer as an Outcome.

Nothing here touches the database; the run records the outcome (threads.alerting.delivery)."""

import logging
import time
from dataclasses import dataclass

from django.db import connections

from threads.alerting.alert import Alert
from threads.alerting.transports.base import PermanentError, TransientError, Transport
from threads.models import Delivery

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    ok: bool
    permanent: bool = False
    response_code: int | None = None
    error: str = ""
    retry_after: int | None = None
    disable_channel: bool = False
    duration_ms: int = 0
    remember: dict | None = None  # Result.remember, for Transport.remember


def attempt(
    transport: Transport, delivery: Delivery, alert: Alert, group: list[Alert] | None = None
) -> Outcome:
    """`group`: several alerts for `delivery`'s destination, sent as one message."""
    started = time.perf_counter()
    try:
        send = transport.send_group if group else transport.send
        result = send(delivery, group or alert)
        outcome = Outcome(ok=True, response_code=result.response_code, remember=result.remember)
    except PermanentError as error:
        outcome = Outcome(
            ok=False,
            permanent=True,
            response_code=error.response_code,
            error=error.message,
            disable_channel=error.disable_channel,
        )
    except TransientError as error:
        outcome = Outcome(
            ok=False,
            response_code=error.response_code,
            error=error.message,
            retry_after=error.retry_after,
        )
    except Exception as error:  # a bug in a transport: keep the delivery, retry after a fix
        log.exception("Sending delivery %s failed unexpectedly", delivery.pk)
        outcome = Outcome(ok=False, error=f"{type(error).__name__}: {error}")
    outcome.duration_ms = int((time.perf_counter() - started) * 1000)
    outcome.error = error_text(outcome.error)
    return outcome


def attempt_in_worker(
    transport: Transport, delivery: Delivery, alert: Alert, group: list[Alert] | None = None
) -> Outcome:
    try:
        return attempt(transport, delivery, alert, group)
    finally:
        connections.close_all()  # only this worker thread's connections, if it opened any


def error_text(message: str) -> str:
    """What the log keeps of a failure: one line, short. Transports put only a status and
    reason in it (never an answer's body); this keeps a stray long message from filling the log."""
    text = " ".join(message.split())
    return text if len(text) <= 300 else text[:299] + "…"
