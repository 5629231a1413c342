"""One line of an import file to one checked thread history, or a LineError naming the field and
the rule. Everything a line may hold is checked here, before anything is written: bytes, JSON,
each field's type and length, the times. References to existing objects (account, team, users)
are resolved when the line is replayed."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from accounts.models import Contact
from policies.vocabulary import Channel, Priority, ThreadStatus
from threads.importer.fields import (
    LineError,
    choice,
    email,
    flag,
    json_kind,
    max_length,
    moment,
    shown,
    text,
    unknown_fields,
)
from threads.models import Message, Thread

THREAD_FIELDS = {
    "source",
    "external_id",
    "subject",
    "contact_email",
    "contact_name",
    "account",
    "channel",
    "priority",
    "team",
    "assignee",
    "created_at",
    "events",
}
_CHANGE = {"actor", "reason"}
# Each event type and the fields it may carry besides "type" and "at".
EVENT_FIELDS = {
    "customer_message": {"body", "external_id", "needs_reply", "automatic"},
    "agent_reply": {"author", "body", "external_id", "public", "automatic"},
    "note": {"author", "body", "external_id", "automatic"},
    "status": {"status"} | _CHANGE,
    "priority": {"priority"} | _CHANGE,
    "channel": {"channel"} | _CHANGE,
    "team": {"team"} | _CHANGE,
    "assignee": {"assignee"} | _CHANGE,
    "no_reply_needed": _CHANGE,
}
EVENT_TYPES = set(EVENT_FIELDS)
MESSAGE_TYPES = {"customer_message", "agent_reply", "note"}
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass
class Parsed:
    line: int
    data: dict  # the thread's fields, checked, with their defaults
    created_at: datetime
    events: list[tuple[datetime, int, dict]]  # (at, index in the line, checked event), in order


def read_lines(path) -> Iterator[bytes]:
    """The file's lines as bytes: each is decoded on its own, so a bad byte anywhere is that
    line's error, never the file's."""
    with open(path, "rb") as handle:
        yield from handle


def decoded(number: int, raw: str | bytes) -> str:
    if isinstance(raw, str):
        return raw
    if number == 1 and raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise LineError(
            f"not valid UTF-8 (byte 0x{raw[error.start]:02x} at byte {error.start + 1})"
        ) from None


def parse_line(number: int, raw: str | bytes, *, now: datetime | None = None) -> Parsed | None:
    """The checked history of one line (None for a blank line)."""
    raw = decoded(number, raw).strip()
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise LineError(f"not valid JSON ({error.msg} at column {error.colno})") from None
    except RecursionError:
        raise LineError("not valid JSON (nested too deeply)") from None
    except ValueError as error:  # e.g. an integer of more than 4,300 digits
        raise LineError(f"not valid JSON ({shown(error)})") from None
    if not isinstance(data, dict):
        raise LineError("each line must be a JSON object")
    now = now or timezone.now()
    unknown_fields(data, THREAD_FIELDS)
    thread = {
        "source": text(data, "source", default="import", limit=max_length(Thread, "source")),
        "external_id": text(
            data, "external_id", required=True, limit=max_length(Thread, "external_id")
        ),
        "subject": text(data, "subject", required=True, limit=max_length(Thread, "subject")),
        "contact_email": email(data, "contact_email", limit=max_length(Contact, "email")),
        "contact_name": text(data, "contact_name", limit=max_length(Contact, "name")),
        "account": text(data, "account"),
        "team": text(data, "team"),
        "assignee": text(data, "assignee"),
        "channel": choice(data, "channel", Channel, default=Channel.EMAIL),
        "priority": choice(data, "priority", Priority, default=Priority.NORMAL),
    }
    if not thread["source"].strip():
        raise LineError("source: must not be blank (leave it out for 'import')")
    created_at = moment(data.get("created_at"), "created_at", now=now)
    events = data.get("events")
    if events is None:
        raise LineError("events: required (a list, the customer's message first)")
    if not isinstance(events, list):
        raise LineError(f"events: expected a list, not {json_kind(events)}")
    ordered, message_ids = [], {}
    for index, event in enumerate(events):
        where = f"events[{index}]"
        checked = _event(event, where, now=now, opened=created_at)
        message_id = checked.get("external_id")
        if message_id:
            if message_id in message_ids:
                raise LineError(
                    f"{where}.external_id: '{shown(message_id)}' is already used by "
                    f"events[{message_ids[message_id]}]"
                )
            message_ids[message_id] = index
        ordered.append((checked["at"], index, checked))
    ordered.sort(key=lambda item: (item[0], item[1]))
    if not ordered or ordered[0][2]["type"] != "customer_message":
        raise LineError("events: the first event must be the customer's message")
    return Parsed(line=number, data=thread, created_at=created_at, events=ordered)


def _event(event, where: str, *, now: datetime, opened: datetime) -> dict:
    if not isinstance(event, dict):
        raise LineError(f"{where}: expected an object, not {json_kind(event)}")
    kind = event.get("type")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        shown_kind = f"'{shown(kind)}'" if isinstance(kind, str) else json_kind(kind)
        kinds = ", ".join(sorted(EVENT_TYPES))
        raise LineError(f"{where}.type: {shown_kind} is not one of {kinds}")
    unknown_fields(event, EVENT_FIELDS[kind] | {"type", "at"}, f"{where}.")
    at = moment(event.get("at"), f"{where}.at", now=now, not_before=opened)
    checked = {"type": kind, "at": at}
    if kind in MESSAGE_TYPES:
        checked["body"] = text(event, "body", f"{where}.body")
        checked["external_id"] = text(
            event, "external_id", f"{where}.external_id", limit=max_length(Message, "external_id")
        )
        checked["automatic"] = flag(event, "automatic", f"{where}.automatic", default=False)
        if kind == "customer_message":
            needs_reply = flag(event, "needs_reply", f"{where}.needs_reply", default=True)
            checked["needs_reply"] = needs_reply
        else:
            checked["author"] = text(event, "author", f"{where}.author")
            checked["public"] = kind == "agent_reply" and flag(
                event, "public", f"{where}.public", default=True
            )
        return checked
    checked["actor"] = text(event, "actor", f"{where}.actor")
    checked["reason"] = text(event, "reason", f"{where}.reason").strip()
    if kind == "status":
        checked["status"] = choice(event, "status", ThreadStatus, f"{where}.status")
    elif kind == "priority":
        checked["priority"] = choice(event, "priority", Priority, f"{where}.priority")
    elif kind == "channel":
        checked["channel"] = choice(event, "channel", Channel, f"{where}.channel")
    elif kind in ("team", "assignee"):
        checked[kind] = text(event, kind, f"{where}.{kind}")
    return checked
