"""Fast writes: PostgreSQL COPY for the importer and the evaluator's many rows, one UPDATE for
many rows, and statements sent together in one round trip.

bulk_create spends most of an import building one large INSERT; COPY streams rows instead. Keys
are taken from the table's sequence first so children can point at their parents before any
row is written. Other databases fall back to bulk_create.
"""

import contextlib

from django.db import connection, models
from psycopg.types.json import Jsonb


@contextlib.contextmanager
def together():
    """Statements executed inside go to PostgreSQL in one round trip (psycopg's pipeline): the
    server runs them in order, each with its own snapshot, and a fetch waits for all sent so
    far. Only for statements whose callers read results by fetching (never `rowcount` before
    the block ends: it is unknown until then). Elsewhere they simply run one by one."""
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.pipeline():  # nests
        yield


def insert_rows(model: type[models.Model], objs: list[models.Model]) -> None:
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=2000)
        return
    table = model._meta.db_table
    fields = [f for f in model._meta.concrete_fields]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        relations = [(f.attname, f.name) for f in fields if f.is_relation and f.many_to_one]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
        with cursor.cursor.copy(
            f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN"
        ) as copy:
            for obj in objs:
                for attname, name in relations:
                    if getattr(obj, attname) is None and name in obj._state.fields_cache:
                        related = obj._state.fields_cache[name]
                        if related is not None:
                            setattr(obj, attname, related.pk)
                row = []
                for field in fields:
                    value = field.pre_save(obj, True)
                    if field.attname in json_fields:
                        value = Jsonb(value)
                    row.append(value)
                copy.write_row(row)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = "default"


# Below this many rows one INSERT … RETURNING (one round trip) beats reserving keys and a COPY
# (two round trips, less Python per row): a reply's two events go by INSERT, a tick's thousand
# by COPY.
COPY_FROM = 50


def by_copy(count: int) -> bool:
    """Whether `create_rows` writes this many rows by COPY (which psycopg's pipeline, see
    `together`, cannot carry)."""
    return count >= COPY_FROM and connection.vendor == "postgresql"


def create_rows(model: type[models.Model], objs: list[models.Model]) -> None:
    """Insert new rows, giving each object its key: by COPY when there are many."""
    if by_copy(len(objs)):
        insert_rows(model, objs)
    elif objs:
        model.objects.bulk_create(objs)


def update_rows(model: type[models.Model], objs: list[models.Model], fields: list[str]) -> None:
    """Write `fields` of many rows in one UPDATE … FROM unnest(one array per column) on
    PostgreSQL: a short statement of a few parameters, however many rows.

    Django's bulk_update builds a CASE per field and row, and a VALUES list of a placeholder per
    row and field costs the driver more to parse than the database to run; other databases keep
    bulk_update."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields, batch_size=500)
        return
    meta = model._meta
    columns = list({meta.get_field(name).column: meta.get_field(name) for name in fields}.values())
    quote = connection.ops.quote_name
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in [meta.pk, *columns])
    names = ", ".join(quote(f.column) for f in columns)
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns)
    params = [[obj.pk for obj in objs]]
    for field in columns:
        values = [getattr(obj, field.attname) for obj in objs]
        params.append([Jsonb(v) for v in values] if isinstance(field, models.JSONField) else values)
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "
        f"FROM unnest({arrays}) AS v(id, {names}) WHERE t.{quote(meta.pk.column)} = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
