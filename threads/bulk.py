"""Fast writes: PostgreSQL COPY for the importer and the evaluator's many rows, one UPDATE for
many rows, and statements sent together in one round trip.

bulk_create spends most of an import building one large INSERT; COPY streams rows instead. Keys
are taken from the table's sequence first so children can point at their parents before any
row is written. Other databases fall back to bulk_create.
"""

import contextlib
import zlib

from django.db import connection, models
from psycopg import pq
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


# The next key of a table (its name the parameter), the sequence looked up once per statement
# (a scalar subquery), not once per key: that was ~5 ms of a thousand keys.
NEXT_KEY = "nextval((SELECT pg_get_serial_sequence(%s, 'id')::regclass))"


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
            f"SELECT {NEXT_KEY} FROM generate_series(1, %s)",
            [table, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        relations = [(f.attname, f.name) for f in fields if f.is_relation and f.many_to_one]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
        with _copy(cursor, f"COPY {connection.ops.quote_name(table)} ({columns})", fields) as copy:
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


# The column types COPY writes in PostgreSQL's binary format, by the name psycopg knows them by
# (a field's db_type without its length): the value of each is dumped by the column's type, by
# psycopg's C code. In the text format a timestamp costs the driver about 40 times more.
BINARY_TYPES = {
    "smallint",
    "integer",
    "bigint",
    "boolean",
    "text",
    "varchar",
    "timestamp with time zone",
    "date",
    "interval",
    "jsonb",
    "uuid",
}


@contextlib.contextmanager
def _copy(cursor, statement: str, fields: list):
    """A COPY … FROM STDIN of these fields' columns: binary when every column's type is one of
    BINARY_TYPES, else text (each value dumped by its Python type)."""
    types = [f.db_type(connection).split("(")[0] for f in fields]
    binary = set(types) <= BINARY_TYPES
    statement += " FROM STDIN (FORMAT BINARY)" if binary else " FROM STDIN"
    with cursor.cursor.copy(statement) as copy:
        if binary:
            copy.set_types(types)
        yield copy


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
    """Write `fields` of many rows with one UPDATE on PostgreSQL: from a temporary table filled
    by COPY when there are many rows (outside `together`: a pipeline cannot carry a COPY), else
    from unnest(one array per column), a short statement of a few parameters.

    Django's bulk_update builds a CASE per field and row, and a VALUES list of a placeholder per
    row and field costs the driver more to parse than the database to run; other databases keep
    bulk_update. Arrays are built by the driver in Python, element by element (a tick's thousand
    clocks of ~40 columns took ~55 ms of it, and the server ~8 ms to parse the literals); a COPY
    row is formatted by psycopg's C code."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields, batch_size=500)
        return
    meta = model._meta
    columns = list({meta.get_field(name).column: meta.get_field(name) for name in fields}.values())
    if by_copy(len(objs)) and not _in_pipeline():
        _update_by_copy(model, objs, columns)
        return
    quote = connection.ops.quote_name
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in [meta.pk, *columns])
    names = ", ".join(quote(f.column) for f in columns)
    params = [[obj.pk for obj in objs]]
    for field in columns:
        values = [getattr(obj, field.attname) for obj in objs]
        params.append([Jsonb(v) for v in values] if isinstance(field, models.JSONField) else values)
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {_assignments(columns)} "
        f"FROM unnest({arrays}) AS v(id, {names}) WHERE t.{quote(meta.pk.column)} = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _assignments(columns: list) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns)


def _in_pipeline() -> bool:
    connection.ensure_connection()
    return connection.connection.pgconn.pipeline_status != pq.PipelineStatus.OFF


def _update_by_copy(model: type[models.Model], objs: list[models.Model], columns: list) -> None:
    """COPY the new values into a temporary table of these columns (made on first use in the
    session, emptied at every commit or rollback), then one UPDATE … FROM it. Created with IF
    NOT EXISTS in every transaction, so a rolled-back creation or a pooled server connection
    (pgbouncer in transaction mode) still finds it."""
    meta, quote = model._meta, connection.ops.quote_name
    pk = meta.pk.column
    names = [pk, *(f.column for f in columns)]
    table = quote(meta.db_table)
    # One table per table, column set and their types (a migration may change one while a
    # session lives); its name says which, within PostgreSQL's 63 bytes.
    shape = " ".join(f"{f.column}:{f.db_type(connection)}" for f in [meta.pk, *columns])
    scratch = quote(f"bulk_{meta.db_table[:40]}_{zlib.crc32(shape.encode()):08x}")
    listed = ", ".join(quote(n) for n in names)
    json_fields = [isinstance(f, models.JSONField) for f in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {scratch} ON COMMIT DELETE ROWS AS "
            f"SELECT {listed} FROM {table} WITH NO DATA"
        )
        with _copy(cursor, f"COPY {scratch} ({listed})", [meta.pk, *columns]) as copy:
            attnames = [f.attname for f in columns]
            for obj in objs:
                row = [obj.pk]
                for attname, is_json in zip(attnames, json_fields, strict=True):
                    value = getattr(obj, attname)
                    row.append(Jsonb(value) if is_json else value)
                copy.write_row(row)
        with together():
            cursor.execute(
                f"UPDATE {table} AS t SET {_assignments(columns)} FROM {scratch} AS v "
                f"WHERE t.{quote(pk)} = v.{quote(pk)}"
            )
            # Emptied at commit, but a second update of these columns before then must not
            # find these rows. (A DELETE, not a TRUNCATE: no new file and catalog row each time.)
            cursor.execute(f"DELETE FROM {scratch}")
