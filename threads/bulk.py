"""Fast writes: PostgreSQL COPY for the importer, one UPDATE for many rows, and statements sent
together in one round trip.

bulk_create spends most of an import building one large INSERT; COPY streams rows instead. Keys
are taken from the table's sequence first so children can point at their parents before any
row is written. Other databases fall back to bulk_create.
"""

import contextlib

from django.db import DatabaseError, connection, models
from django.db.models.sql import UpdateQuery
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


def update_fields(obj: models.Model, names: list[str]):
    """Send `UPDATE … SET names … WHERE pk` as `obj.save(update_fields=names)` would (auto_now
    fields get their new value), without waiting for it: call `check_updated(cursor)` after
    the `together()` block it ran in."""
    model = type(obj)
    fields = [model._meta.get_field(name) for name in names]
    query = model._base_manager.filter(pk=obj.pk).query.chain(UpdateQuery)
    query.add_update_fields([(f, None, f.pre_save(obj, False)) for f in fields])
    sql, params = query.get_compiler(connection.alias).as_sql()
    cursor = connection.cursor()
    cursor.execute(sql, params)
    return cursor


def check_updated(cursor) -> None:
    rows = cursor.rowcount
    cursor.close()
    if rows != 1:  # as Model.save(update_fields=…) says it
        raise DatabaseError("Save with update_fields did not affect any rows.")


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


def update_rows(model: type[models.Model], objs: list[models.Model], fields: list[str]) -> None:
    """Write `fields` of many rows in one UPDATE … FROM (VALUES …) on PostgreSQL.

    Django's bulk_update builds a CASE per field and row, which costs more Python than the
    evaluator's own work; other databases keep bulk_update."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields, batch_size=500)
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    casts = ", ".join(f"%s::{f.db_type(connection)}" for f in columns)
    names = ", ".join(quote(f.column) for f in columns)
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns)
    for start in range(0, len(objs), 500):
        chunk = objs[start : start + 500]
        values, params = [], []
        for obj in chunk:
            values.append(f"(%s::bigint, {casts})")
            params.append(obj.pk)
            for field in columns:
                value = getattr(obj, field.attname)
                params.append(Jsonb(value) if isinstance(field, models.JSONField) else value)
        sql = (
            f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "
            f"FROM (VALUES {', '.join(values)}) AS v(id, {names}) WHERE t.id = v.id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
