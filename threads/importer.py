"""Replay historical threads from JSON Lines through the clock rules, in bulk.

Each line is one thread with its messages and changes. Every line is told to the same clock
rules the live services use, as the same actions (threads/clocks/actions.py), in memory, so
clocks and events are exactly what live traffic
(and the evaluator) would have produced; the rows of a whole batch are then written with a few
bulk inserts. Events of an import are marked historical: they are history, never alerts.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Account, Contact, Team, normalise_email
from policies.vocabulary import Channel, Priority, ThreadStatus
from threads.bulk import insert_rows
from threads.clocks import store
from threads.clocks.actions import (
    AgentWrote,
    CustomerWrote,
    FieldsChanged,
    NoReplyNeeded,
    Opened,
    StatusChanged,
    TimePassed,
)
from threads.clocks.book import PolicyBook
from threads.clocks.times import time_problem
from threads.models import Message, Thread

EVENT_TYPES = {
    "customer_message",
    "agent_reply",
    "note",
    "status",
    "priority",
    "no_reply_needed",
    "team",
    "assignee",
    "channel",
}


class LineError(ValueError):
    pass


@dataclass
class ImportReport:
    lines: int = 0
    imported: int = 0
    existing: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _time(value, where: str, *, now: datetime, not_before: datetime | None = None) -> datetime:
    """A time of the history: with an offset, and within the bounds the live services keep (not
    before the thread was opened, not in the future)."""
    if not isinstance(value, str):
        raise LineError(f"{where}: expected an ISO 8601 time with offset")
    try:
        parsed = parse_datetime(value)
    except ValueError:  # well-formed but impossible, e.g. 2026-02-30
        parsed = None
    if parsed is None:
        raise LineError(f"{where}: '{value}' is not an ISO 8601 time")
    if timezone.is_naive(parsed):
        raise LineError(f"{where}: '{value}' has no UTC offset (write e.g. +01:00 or Z)")
    problem = time_problem(parsed, not_before=not_before, now=now)
    if problem:
        raise LineError(f"{where}: {problem}")
    return parsed


def _choice(value, choices, where: str) -> str:
    if value not in choices.values:
        raise LineError(f"{where}: '{value}' is not one of {', '.join(choices.values)}")
    return value


def _text(data: dict, key: str, *, required=False, default="", where: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        value = default
    if not isinstance(value, str):
        raise LineError(f"{where or key}: expected text")
    if required and not value.strip():
        raise LineError(f"{where or key}: required")
    return value


@dataclass
class Parsed:
    line: int
    data: dict
    created_at: datetime
    events: list[tuple[datetime, int, dict]]


def parse_line(number: int, raw: str, *, now: datetime | None = None) -> Parsed | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise LineError(f"not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(data, dict):
        raise LineError("each line must be a JSON object")
    _text(data, "external_id", required=True)
    _text(data, "subject", required=True)
    now = now or timezone.now()
    created_at = _time(data.get("created_at"), "created_at", now=now)
    _choice(data.get("channel", "email"), Channel, "channel")
    _choice(data.get("priority", "normal"), Priority, "priority")
    events = data.get("events", [])
    if not isinstance(events, list):
        raise LineError("events: expected a list")
    ordered = []
    for index, event in enumerate(events):
        where = f"events[{index}]"
        if not isinstance(event, dict):
            raise LineError(f"{where}: expected an object")
        kind = event.get("type")
        if kind not in EVENT_TYPES:
            raise LineError(
                f"{where}.type: '{kind}' is not one of {', '.join(sorted(EVENT_TYPES))}"
            )
        at = _time(event.get("at"), f"{where}.at", now=now, not_before=created_at)
        if kind == "status":
            _choice(event.get("status"), ThreadStatus, f"{where}.status")
        if kind == "priority":
            _choice(event.get("priority"), Priority, f"{where}.priority")
        if kind == "channel":
            _choice(event.get("channel"), Channel, f"{where}.channel")
        ordered.append((at, index, event))
    ordered.sort(key=lambda item: (item[0], item[1]))
    if not ordered or ordered[0][2]["type"] != "customer_message":
        raise LineError("events: the first event must be the customer's message")
    return Parsed(line=number, data=data, created_at=created_at, events=ordered)


class Importer:
    """Imports batches; references (accounts, teams, users) are looked up once per run."""

    def __init__(self, *, batch_size: int = 500):
        self.batch_size = batch_size
        self.book = PolicyBook.load()
        self.accounts = {a.name: a for a in Account.objects.all()}
        self.teams = {t.name: t for t in Team.objects.all()}
        self.users = {u.username: u for u in get_user_model().objects.all()}
        self.now = timezone.now()
        self.contacts_to_link: list[Contact] = []
        self.domains = {}
        for account in self.accounts.values():
            for domain in account.email_domains:
                self.domains.setdefault(domain, account)  # first by name, as the API does

    def account_for_domain(self, email: str):
        return self.domains.get(email.rsplit("@", 1)[-1])

    def run(self, lines: Iterable[str], report: ImportReport, progress=None) -> ImportReport:
        batch: list[Parsed] = []
        for number, raw in enumerate(lines, start=1):
            report.lines = number
            try:
                parsed = parse_line(number, raw, now=self.now)
            except LineError as error:
                report.errors.append((number, str(error)))
                continue
            if parsed is not None:
                batch.append(parsed)
            if len(batch) >= self.batch_size:
                self._import_batch(batch, report)
                batch = []
                if progress:
                    progress(report)
        if batch:
            self._import_batch(batch, report)
        if progress:
            progress(report, final=True)
        return report

    def _import_batch(self, batch: list[Parsed], report: ImportReport) -> None:
        keys = {(p.data.get("source", "import"), p.data["external_id"]) for p in batch}
        existing = set(
            Thread.objects.filter(
                source__in={k[0] for k in keys}, external_id__in={k[1] for k in keys}
            ).values_list("source", "external_id")
        )
        emails = {
            normalise_email(p.data["contact_email"]) for p in batch if p.data.get("contact_email")
        }
        contacts = {c.email: c for c in Contact.objects.filter(email__in=emails)}
        works, messages, new_contacts = [], [], {}
        seen = set()
        for parsed in batch:
            key = (parsed.data.get("source", "import"), parsed.data["external_id"])
            if key in existing or key in seen:
                report.existing += 1
                continue
            try:
                work, thread_messages = self._replay(parsed, contacts, new_contacts)
            except LineError as error:
                report.errors.append((parsed.line, str(error)))
                continue
            seen.add(key)
            works.append(work)
            messages.extend(thread_messages)
        with transaction.atomic():
            # Parents first: bulk_create fills in their keys, and each child row picks up its
            # parent's key when it is inserted.
            insert_rows(Contact, list(new_contacts.values()))
            if self.contacts_to_link:
                Contact.objects.bulk_update(self.contacts_to_link, ["account"])
                self.contacts_to_link = []
            store.insert(works, messages)
        report.imported += len(works)

    def _replay(self, parsed: Parsed, contacts: dict, new_contacts: dict):
        data = parsed.data
        account = None
        if data.get("account") is not None:
            account = self.accounts.get(data["account"])
            if account is None:
                raise LineError(f"account: no account named '{data['account']}'")
        contact = None
        email = normalise_email(_text(data, "contact_email"))
        if email:
            contact = contacts.get(email) or new_contacts.get(email)
            if contact is None:
                contact = Contact(email=email, name=_text(data, "contact_name"), account=account)
                new_contacts[email] = contact
            if account is None:
                account = contact.account or self.account_for_domain(email)
            if contact.account_id is None and contact.account is None and account is not None:
                contact.account = account
                if contact.pk is not None:
                    self.contacts_to_link.append(contact)
        team = self._ref(self.teams, data.get("team"), "team")
        assignee = self._ref(self.users, data.get("assignee"), "assignee")
        thread = Thread(
            subject=data["subject"][:300],
            account=account,
            contact=contact,
            channel=data.get("channel", Channel.EMAIL),
            priority=data.get("priority", Priority.NORMAL),
            team=team,
            assignee=assignee,
            source=data.get("source", "import"),
            external_id=data["external_id"],
            created_at=parsed.created_at,
        )
        work = store.fresh(thread, book=self.book, historical=True)
        work.apply(Opened(parsed.created_at))
        messages = []
        for at, index, event in parsed.events:
            action, message = self._action(thread, at, event, f"events[{index}]", contact)
            work.apply(action)
            if message is not None:
                messages.append(message)
        work.apply(TimePassed(self.now))
        return work, messages

    def _ref(self, table: dict, name, where: str):
        if name in (None, ""):
            return None
        found = table.get(name)
        if found is None:
            raise LineError(f"{where}: no {where} named '{name}'")
        return found

    def _action(self, thread: Thread, at, event: dict, where: str, contact):
        """The clock action a history event stands for, and the message it stores (if any)."""
        kind = event["type"]
        body = event.get("body", "")
        external_id = event.get("external_id", "") or ""
        if kind == "customer_message":
            needs_reply = bool(event.get("needs_reply", True))
            automatic = bool(event.get("automatic", False))
            message = Message(
                thread=thread,
                author_kind=Message.Author.CUSTOMER,
                contact=contact,
                body=body,
                needs_reply=needs_reply,
                automatic=automatic,
                created_at=at,
                external_id=external_id,
            )
            return CustomerWrote(at, needs_reply=needs_reply, automatic=automatic), message
        if kind in ("agent_reply", "note"):
            author = self._ref(self.users, event.get("author"), f"{where}.author")
            public = kind == "agent_reply" and bool(event.get("public", True))
            automatic = bool(event.get("automatic", False))
            author_kind = (
                Message.Author.SYSTEM if automatic and author is None else Message.Author.AGENT
            )
            message = Message(
                thread=thread,
                author_kind=author_kind,
                author_user=author,
                body=body,
                public=public,
                automatic=automatic,
                created_at=at,
                external_id=external_id,
            )
            return AgentWrote(at, public=public, automatic=automatic, actor=author), message
        # A person's action: who did it ("actor", a username) and why ("reason") go on the
        # record as they do live.
        actor = self._ref(self.users, event.get("actor"), f"{where}.actor")
        reason = _text(event, "reason", where=f"{where}.reason").strip()
        if kind == "status":
            return StatusChanged(at, status=event["status"], reason=reason, actor=actor), None
        if kind == "no_reply_needed":
            return NoReplyNeeded(at, reason=reason, actor=actor), None
        if kind in ("team", "assignee"):
            table = self.teams if kind == "team" else self.users
            value = self._ref(table, event.get(kind), f"{where}.{kind}")
        else:  # priority, channel
            value = event[kind]
        return FieldsChanged(at, changes={kind: value}, reason=reason, actor=actor), None


def read_lines(path) -> Iterator[str]:
    with open(path, encoding="utf-8") as handle:
        yield from handle
