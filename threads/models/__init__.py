"""Support threads, their messages, the SLA clocks running on them, the events of each clock,
and the outbox. One module per part; import from here."""

from threads.models.clocks import CountChange, EventKind, SlaClock, SlaEvent, SlaEventQuerySet
from threads.models.outbox import Delivery, DeliveryAttempt, Notification
from threads.models.saved_views import SavedView
from threads.models.threads import (
    CLOSED_STATUSES,
    FINISHED_STATES,
    RUNNING_STATES,
    ClockState,
    Message,
    Thread,
)

__all__ = [
    "CLOSED_STATUSES",
    "FINISHED_STATES",
    "RUNNING_STATES",
    "ClockState",
    "CountChange",
    "Delivery",
    "DeliveryAttempt",
    "EventKind",
    "Message",
    "Notification",
    "SavedView",
    "SlaClock",
    "SlaEvent",
    "SlaEventQuerySet",
    "Thread",
]
