"""The transports: one module per kind, each a `Transport` subclass. Which kinds exist, and what
each needs, is declared once in policies.alert_kinds.TRANSPORTS; this finds a kind's sender."""

from functools import cache

from django.utils.module_loading import import_string

from policies.alert_kinds import TRANSPORTS
from threads.alerting.transports.base import Transport


@cache
def _transport(path: str) -> Transport:
    return import_string(path)()


def transport_for(kind: str) -> Transport | None:
    """The sender of a kind; None for a kind no longer declared (its deliveries are not sent)."""
    declared = TRANSPORTS.get(kind)
    return _transport(declared.transport) if declared else None
