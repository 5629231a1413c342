"""Writing an import's plain objects (plain.py) as rows: keys reserved from each table's sequence,
then one binary COPY per table (no text for the server to parse), parents first so a child
reads its parent's key as its row is built.

A row is the object's attributes named as the model's columns, read in one go; a time the model
stamps itself (`auto_now`, a default of now) left empty is the batch's instant. Other databases
than PostgreSQL get the same rows through bulk_create.
"""

import json
from operator import attrgetter

from django.db import connection, models
from django.utils import timezone

from accounts.models import Contact
from threads.bulk import NEXT_KEY

BYTEA = 17  # the type oid
JSONB_VERSION = b"\x01"


class Columns:
    """How a model's rows are read from plain objects."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        fields = model._meta.concrete_fields
        self.names = [f.attname for f in fields]
        self.read = attrgetter(*self.names)
        self.json = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
        self.stamped = [
            i
            for i, f in enumerate(fields)
            if isinstance(f, models.DateTimeField)
            and (f.auto_now or f.auto_now_add or f.default is timezone.now)
        ]
        self.table = model._meta.db_table
        self.columns = [f.column for f in fields]
        self.sql = "COPY {} ({}) FROM STDIN (FORMAT BINARY)".format(
            connection.ops.quote_name(self.table),
            ", ".join(connection.ops.quote_name(c) for c in self.columns),
        )
        self.types: list[int] | None = None

    def column_types(self, cursor) -> list[int]:
        """The columns' PostgreSQL types, which a binary COPY sends its values as."""
        if self.types is None:
            cursor.execute(
                "SELECT attname, atttypid::int FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                [self.table],
            )
            found = dict(cursor.fetchall())
            self.types = [found[c] for c in self.columns]
            for i in self.json:
                # Sent as the bytes of jsonb's binary form (its version, then the JSON text):
                # psycopg's own JSON dumper costs more Python per value than the rest of a row.
                self.types[i] = BYTEA
        return self.types

    def rows(self, objs: list, now, *, binary_json: bool = False):
        read, stamped, json_at = self.read, self.stamped, self.json if binary_json else ()
        dumps = json.dumps
        for obj in objs:
            row = list(read(obj))
            for i in stamped:
                if row[i] is None:
                    row[i] = now
            for i in json_at:
                row[i] = JSONB_VERSION + dumps(row[i]).encode()
            yield row


_columns: dict = {}


def columns(model) -> Columns:
    found = _columns.get(model)
    if found is None:
        found = _columns[model] = Columns(model)
    return found


def write(model: type[models.Model], objs: list, now) -> None:
    """Insert plain objects as `model` rows; each object gets its key."""
    if not objs:
        return
    table = columns(model)
    if connection.vendor != "postgresql":
        instances = [model(*row) for row in table.rows(objs, now)]
        model.objects.bulk_create(instances, batch_size=500)
        for obj, instance in zip(objs, instances, strict=True):
            obj.pk = instance.pk
        return
    with connection.cursor() as cursor:
        # One text value of all the keys: reading thousands of one-key rows costs more.
        cursor.execute(
            f"SELECT string_agg({NEXT_KEY}::text, ',') FROM generate_series(1, %s)",
            [model._meta.db_table, len(objs)],
        )
        for obj, pk in zip(objs, map(int, cursor.fetchone()[0].split(",")), strict=True):
            obj.id = pk
        types = table.column_types(cursor)
        with cursor.cursor.copy(table.sql) as copy:
            copy.set_types(types)
            write_row = copy.write_row
            for row in table.rows(objs, now, binary_json=True):
                write_row(row)


def insert_contacts(contacts: list[Contact]) -> bool:
    """Insert new contacts (model instances), in the order of their addresses; False when another
    import wrote one of them meanwhile (it then waited for that import to commit, so a plan made
    again sees it). In that case nothing is kept: the caller's transaction is to be rolled back."""
    if not contacts:
        return True
    if connection.vendor != "postgresql":
        Contact.objects.bulk_create(contacts)
        return True
    contacts = sorted(contacts, key=lambda c: c.email)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_contact (account_id, name, email, source, created_at) "
            "SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], "
            "%s::timestamptz[]) "
            "ON CONFLICT (email) DO NOTHING RETURNING id, email",
            [
                [c.account.pk if c.account is not None else None for c in contacts],
                [c.name for c in contacts],
                [c.email for c in contacts],
                [c.source for c in contacts],
                [now] * len(contacts),
            ],
        )
        keys = dict((email, pk) for pk, email in cursor.fetchall())
    for contact in contacts:
        contact.pk = keys.get(contact.email)
        contact._state.adding = False
        contact._state.db = "default"
    return len(keys) == len(contacts)
