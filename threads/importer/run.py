"""Import checked lines in batches: replay each through the clock rules in memory (on plain
objects), then write a batch with one COPY per table. A batch the database refuses (a concurrent
import of the same file, anything the checks missed) is tried again line by line, each in its own
transaction, so one line never costs its neighbours; a thread another import wrote meanwhile
counts as existing, a contact another import wrote meanwhile is waited for and the batch planned
again."""

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

import psycopg
from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from django.utils import timezone

from accounts.models import Account, Contact, Team
from threads.clocks import outcome, store
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
from threads.clocks.rules import Clockwork
from threads.importer import parallel, rows
from threads.importer.fields import LineError, shown
from threads.importer.lines import Parsed, parse_line
from threads.importer.plain import ImportBook, PlainClockwork, PlainMessage, PlainThread
from threads.importer.report import ImportReport
from threads.models import Message, SlaClock, SlaEvent, Thread

logger = logging.getLogger(__name__)
# COPY (rows.py) talks to psycopg directly, so its errors are not Django's.
WRITE_ERRORS = (DatabaseError, psycopg.Error)
# Tries of one line: a concurrent import may hold its contact or thread for a moment.
ATTEMPTS = 3


@dataclass
class Plan:
    """What a group of lines writes, worked out before anything is written."""

    lines: list[Parsed] = field(default_factory=list)
    works: list = field(default_factory=list)
    messages: list[PlainMessage] = field(default_factory=list)
    new_contacts: dict[str, Contact] = field(default_factory=dict)
    linked_contacts: list[Contact] = field(default_factory=list)
    existing: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


class ContactsTaken(Exception):
    """Another import wrote a contact of this batch meanwhile: plan the batch again."""


class Importer:
    """Imports batches; references (accounts, teams, users) are looked up once per run.

    `workers` processes share a large file on PostgreSQL (parallel.py); None is one per core.
    The history is replayed on plain objects (plain.py) written as rows (rows.py)."""

    thread_type, message_type, clockwork_type = PlainThread, PlainMessage, PlainClockwork

    def __init__(self, *, batch_size: int = 500, workers: int | None = None):
        self.batch_size = max(1, batch_size)
        self.workers = parallel.default_workers() if workers is None else max(1, workers)
        self.book = self.policy_book()
        self.accounts = {a.name: a for a in Account.objects.all()}
        self.teams = {t.name: t for t in Team.objects.all()}
        self.users = {u.username: u for u in get_user_model().objects.all()}
        self.now = timezone.now()
        self.domains = {}
        for account in self.accounts.values():
            for domain in account.email_domains:
                self.domains.setdefault(domain, account)  # first by name, as the API does

    def policy_book(self) -> PolicyBook:
        return ImportBook.of(PolicyBook.load())

    def account_for_domain(self, email: str):
        return self.domains.get(email.rsplit("@", 1)[-1])

    def run(self, lines: Iterable[str | bytes], report: ImportReport, progress=None):
        numbered = enumerate(lines, start=1)
        if self.workers > 1 and parallel.possible():
            # A small file is not worth starting processes for: read its head first.
            head, failure = [], None
            try:
                head = list(islice(numbered, parallel.PARALLEL_FROM))
            except OSError as error:
                failure = error
            if failure is None and len(head) >= parallel.PARALLEL_FROM:
                return parallel.run(self, head, numbered, report, progress)
            numbered = _replayed(head, failure)
        return self.run_numbered(numbered, report, progress)

    def run_numbered(self, numbered: Iterator, report: ImportReport, progress=None):
        """Import (line number, line) pairs, in order, in batches."""
        batch: list[Parsed] = []
        try:
            for number, raw in numbered:
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
        except OSError:
            # The file failed midway (a disk, a network share): keep what was read before it.
            self._import_batch(batch, report)
            raise
        self._import_batch(batch, report)
        if progress:
            progress(report, final=True)
        return report

    def _import_batch(self, batch: list[Parsed], report: ImportReport) -> None:
        if not batch:
            return
        for _ in range(ATTEMPTS):
            plan = self._plan(batch)
            try:
                self._write(plan)
            except ContactsTaken:
                continue  # it waited for the other import to commit: planned again, they are seen
            except WRITE_ERRORS as error:
                logger.debug("batch of %s lines refused (%s): one by one", len(plan.lines), error)
                break
            report.existing += plan.existing
            report.errors.extend(plan.errors)
            report.imported += len(plan.works)
            return
        report.existing += plan.existing
        report.errors.extend(plan.errors)
        self._import_one_by_one(plan.lines, report)

    def _import_one_by_one(self, lines: list[Parsed], report: ImportReport) -> None:
        """Each line in its own transaction (a savepoint inside the caller's): what it wrote is
        committed at once, so a concurrent import waits for one line at most, never deadlocks."""
        for parsed in lines:
            for attempt in range(1, ATTEMPTS + 1):
                # Planned again each time: what another import wrote meanwhile is seen.
                plan = self._plan([parsed])
                report.existing += plan.existing
                report.errors.extend(plan.errors)
                if not plan.works:
                    break
                try:
                    self._write(plan)
                except (ContactsTaken, *WRITE_ERRORS) as error:
                    if attempt == ATTEMPTS:
                        text = str(error) or "its contact was being written by another import"
                        reason = shown((text.strip().splitlines() or [""])[0])
                        report.errors.append(
                            (parsed.line, f"the database refused this line ({reason})")
                        )
                else:
                    report.imported += 1
                    break

    def _write(self, plan: Plan) -> None:
        now = timezone.now()
        with transaction.atomic():
            # Parents first: each child row reads its parent's key when it is built.
            if not rows.insert_contacts(list(plan.new_contacts.values())):
                raise ContactsTaken
            if plan.linked_contacts:
                Contact.objects.bulk_update(plan.linked_contacts, ["account"])
            self._write_rows(plan.works, plan.messages, now)
            # Imported outcomes land on days objectives may have rolled up already.
            outcome.record_new_clocks([c for w in plan.works for c in w.created], now)

    @staticmethod
    def _write_rows(works: list, messages: list, now) -> None:
        rows.write(Thread, [w.thread for w in works], now)
        rows.write(Message, messages, now)
        rows.write(SlaClock, [c for w in works for c in w.created], now)
        rows.write(SlaEvent, [e for w in works for e in w.events], now)

    def _plan(self, lines: list[Parsed]) -> Plan:
        keys = {(p.data["source"], p.data["external_id"]) for p in lines}
        existing = set(
            Thread.objects.filter(
                source__in={k[0] for k in keys}, external_id__in={k[1] for k in keys}
            ).values_list("source", "external_id")
        )
        emails = {p.data["contact_email"] for p in lines if p.data["contact_email"]}
        contacts = {
            c.email: c for c in Contact.objects.filter(email__in=emails).select_related("account")
        }
        plan = Plan()
        for parsed in lines:
            key = (parsed.data["source"], parsed.data["external_id"])
            if key in existing:
                plan.existing += 1
                continue
            try:
                work, messages = self._replay(parsed, contacts, plan)
            except LineError as error:
                plan.errors.append((parsed.line, str(error)))
                continue
            except Exception as error:  # noqa: BLE001 - a bug must not cost the other lines
                logger.exception("line %s could not be replayed", parsed.line)
                plan.errors.append((parsed.line, f"could not be replayed ({shown(error)})"))
                continue
            existing.add(key)  # the same thread twice in a batch: the second is already there
            plan.lines.append(parsed)
            plan.works.append(work)
            plan.messages.extend(messages)
        return plan

    def _replay(self, parsed: Parsed, contacts: dict, plan: Plan):
        data = parsed.data
        account = None
        if data["account"]:
            account = self.accounts.get(data["account"])
            if account is None:
                raise LineError(f"account: no account named '{shown(data['account'])}'")
        contact = None
        email = data["contact_email"]
        if email:
            contact = contacts.get(email) or plan.new_contacts.get(email)
            if contact is None:
                contact = Contact(
                    email=email, name=data["contact_name"], account=account, source=data["source"]
                )
                plan.new_contacts[email] = contact
            if account is None:
                account = contact.account or self.account_for_domain(email)
            if contact.account_id is None and contact.account is None and account is not None:
                contact.account = account
                if contact.pk is not None:
                    plan.linked_contacts.append(contact)
        team = self._ref(self.teams, data["team"], "team")
        assignee = self._ref(self.users, data["assignee"], "assignee")
        thread = self.thread_type(
            subject=data["subject"],
            account=account,
            contact=contact,
            channel=data["channel"],
            priority=data["priority"],
            team_id=team.pk if team is not None else None,
            assignee_id=assignee.pk if assignee is not None else None,
            source=data["source"],
            external_id=data["external_id"],
            created_at=parsed.created_at,
        )
        work = self.clockwork_type(thread=thread, clocks=[], book=self.book, historical=True)
        work.apply(Opened(parsed.created_at))
        messages = []
        for at, index, event in parsed.events:
            action, message = self._action(thread, at, event, f"events[{index}]", contact)
            work.apply(action)
            if message is not None:
                messages.append(message)
        work.apply(TimePassed(self.now))
        return work, messages

    def _ref(self, table: dict, name: str, where: str):
        if not name:
            return None
        found = table.get(name)
        if found is None:
            raise LineError(f"{where}: no {where} named '{shown(name)}'")
        return found

    def _action(self, thread: PlainThread, at, event: dict, where: str, contact):
        """The clock action a checked history event stands for, and the message it stores."""
        kind = event["type"]
        if kind == "customer_message":
            message = self.message_type(
                thread=thread,
                author_kind=Message.Author.CUSTOMER,
                contact=contact,
                body=event["body"],
                needs_reply=event["needs_reply"],
                automatic=event["automatic"],
                created_at=at,
                external_id=event["external_id"],
            )
            action = CustomerWrote(
                at, needs_reply=event["needs_reply"], automatic=event["automatic"]
            )
            return action, message
        if kind in ("agent_reply", "note"):
            author = self._ref(self.users, event["author"], f"{where}.author")
            public, automatic = event["public"], event["automatic"]
            # Their teams as they are now: an import has no older record of members.
            teams = self.book.teams_of(author) if author is not None else ()
            author_kind = (
                Message.Author.SYSTEM if automatic and author is None else Message.Author.AGENT
            )
            message = self.message_type(
                thread=thread,
                author_kind=author_kind,
                author_user=author,
                body=event["body"],
                public=public,
                automatic=automatic,
                created_at=at,
                external_id=event["external_id"],
                author_teams=teams,
            )
            action = AgentWrote(
                at, public=public, automatic=automatic, actor=author, author_teams=teams
            )
            return action, message
        # A person's action: who did it ("actor", a username) and why ("reason") go on the
        # record as they do live.
        actor = self._ref(self.users, event["actor"], f"{where}.actor")
        reason = event["reason"]
        if kind == "status":
            return StatusChanged(at, status=event["status"], reason=reason, actor=actor), None
        if kind == "no_reply_needed":
            return NoReplyNeeded(at, reason=reason, actor=actor), None
        if kind in ("team", "assignee"):
            table = self.teams if kind == "team" else self.users
            value = self._ref(table, event[kind], f"{where}.{kind}")
        else:  # priority, channel
            value = event[kind]
        return FieldsChanged(at, changes={kind: value}, reason=reason, actor=actor), None


class ModelImporter(Importer):
    """The same import on model instances, the book asked afresh each time, written with
    insert_rows: the way it was done before plain rows, kept so a bench or a test can show both
    write the same rows."""

    thread_type, message_type, clockwork_type = Thread, Message, Clockwork

    def policy_book(self) -> PolicyBook:
        return PolicyBook.load()

    @staticmethod
    def _write_rows(works: list, messages: list, now) -> None:
        store.insert(works, messages)


def _replayed(head: list, failure: OSError | None) -> Iterator:
    """The lines read ahead, then the read error that stopped them (if one did)."""
    yield from head
    if failure is not None:
        raise failure
