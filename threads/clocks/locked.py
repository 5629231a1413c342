"""Lock a thread and read what its clock work and a new message need (the thread with its account,
policy and contact, the clocks the rules read, the configuration version) in one round trip.

Three statements, sent together on PostgreSQL (psycopg's pipeline): the row lock first, then the
clocks and the version. The server runs them in order and, under READ COMMITTED, each statement
reads a snapshot taken when it starts, so the clocks are read after the lock is held, as if they
had been asked for afterwards. (One joined `SELECT … FOR UPDATE` would not do: a statement that
waited for the lock still reads the other tables as they were before it waited.) SQLite runs the
same statements one after the other, in a transaction that already holds the write lock.
"""

from functools import cache

from django.db import connection
from django.db.models import Model

from accounts.models import Account, Contact
from policies.configuration import ConfigurationVersion
from policies.models import Calendar, SlaPolicy
from policies.vocabulary import Metric
from threads.bulk import together
from threads.models import RUNNING_STATES, SlaClock, Thread

# Stopped clocks the rules still read: resolution resumes on reopen, first resolution never
# starts twice.
RESOLUTION_METRICS = (Metric.RESOLUTION, Metric.FIRST_RESOLUTION)


def read(thread_id: int, within=None) -> tuple[Thread, list[SlaClock], int]:
    """The locked thread, its running clocks and its resolution clocks (by start), and the
    configuration version. `within` (threads the caller may change) is checked by the lock
    itself: a thread outside it is `Thread.DoesNotExist`, as a missing one is."""
    lock_sql, lock_params = _lock_statement(thread_id, within)
    clocks_sql = _clocks_statement()
    clocks_params = [thread_id, *RUNNING_STATES, *RESOLUTION_METRICS]
    with connection.cursor() as locking, connection.cursor() as clocks, connection.cursor() as ver:
        with together():
            locking.execute(lock_sql, lock_params)
            clocks.execute(clocks_sql, clocks_params)
            ver.execute(ConfigurationVersion.current_sql())
        thread_row = locking.fetchone()
        clock_rows = clocks.fetchall()
        version_row = ver.fetchone()
    if thread_row is None:
        raise Thread.DoesNotExist("No thread with this id.")
    thread = _thread(thread_row)
    return thread, [_clock(row, thread) for row in clock_rows], version_row[0] if version_row else 0


def _lock_statement(thread_id: int, within) -> tuple[str, list]:
    t, a, p = _columns(Thread, "t"), _columns(Account, "a"), _columns(SlaPolicy, "p")
    m = _columns(Contact, "m")
    sql = (
        f"SELECT {', '.join(t + a + p + m)} FROM {_table(Thread)} t"
        f" LEFT JOIN {_table(Account)} a ON {_join(Thread, 't', 'account', 'a')}"
        f" LEFT JOIN {_table(SlaPolicy)} p ON {_join(Thread, 't', 'policy', 'p')}"
        f" LEFT JOIN {_table(Contact)} m ON {_join(Thread, 't', 'contact', 'm')}"
        f" WHERE t.{connection.ops.quote_name(Thread._meta.pk.column)} = %s"
    )
    params = [thread_id]
    if within is not None and within.query.where:  # an unfiltered queryset limits nothing
        scope_sql, scope_params = within.values("pk").query.sql_with_params()
        sql += f" AND t.{connection.ops.quote_name(Thread._meta.pk.column)} IN ({scope_sql})"
        params.extend(scope_params)
    if connection.features.has_select_for_update_of:
        sql += " FOR UPDATE OF t"
    return sql, params


@cache
def _clocks_statement() -> str:
    c, k, p = _columns(SlaClock, "c"), _columns(Calendar, "k"), _columns(SlaPolicy, "p")
    states = ", ".join(["%s"] * len(RUNNING_STATES))
    return (
        f"SELECT {', '.join(c + k + p)} FROM {_table(SlaClock)} c"
        f" LEFT JOIN {_table(Calendar)} k ON {_join(SlaClock, 'c', 'calendar', 'k')}"
        f" LEFT JOIN {_table(SlaPolicy)} p ON {_join(SlaClock, 'c', 'policy', 'p')}"
        f" WHERE c.thread_id = %s AND (c.state IN ({states}) OR c.metric IN (%s, %s))"
        " ORDER BY c.started_at, c.id"
    )


def _thread(row) -> Thread:
    thread, rest = _instance(Thread, "t", row)
    account, rest = _instance(Account, "a", rest)
    policy, rest = _instance(SlaPolicy, "p", rest)
    contact, _ = _instance(Contact, "m", rest)  # a customer's message is theirs by default
    Thread._meta.get_field("account").set_cached_value(thread, account)
    Thread._meta.get_field("policy").set_cached_value(thread, policy)
    Thread._meta.get_field("contact").set_cached_value(thread, contact)
    return thread


def _clock(row, thread: Thread) -> SlaClock:
    clock, rest = _instance(SlaClock, "c", row)
    calendar, rest = _instance(Calendar, "k", rest)
    policy, _ = _instance(SlaPolicy, "p", rest)
    SlaClock._meta.get_field("thread").set_cached_value(clock, thread)
    SlaClock._meta.get_field("calendar").set_cached_value(clock, calendar)
    SlaClock._meta.get_field("policy").set_cached_value(clock, policy)
    return clock


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _join(model: type[Model], alias: str, name: str, other: str) -> str:
    field, qn = model._meta.get_field(name), connection.ops.quote_name
    return f"{other}.{qn(field.target_field.column)} = {alias}.{qn(field.column)}"


def _columns(model: type[Model], alias: str) -> list[str]:
    return [f"{alias}.{connection.ops.quote_name(f.column)}" for f in model._meta.concrete_fields]


@cache
def _loaders(model: type[Model], alias: str, vendor: str) -> tuple[list[str], list]:
    """Field names and, per column, the converters the ORM applies to its value."""
    names, converters = [], []
    for field in model._meta.concrete_fields:
        column = field.get_col(alias)
        names.append(field.attname)
        steps = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        converters.append((column, steps))
    return names, converters


def _instance(model: type[Model], alias: str, row) -> tuple[Model | None, tuple]:
    """The model built from the first columns of `row` (None for a LEFT JOIN that found none),
    and the columns after them."""
    names, converters = _loaders(model, alias, connection.vendor)
    values, rest = list(row[: len(names)]), row[len(names) :]
    if values[model._meta.concrete_fields.index(model._meta.pk)] is None:
        return None, rest
    for i, (column, steps) in enumerate(converters):
        for convert in steps:
            values[i] = convert(values[i], column, connection)
    return model.from_db(connection.alias, names, values), rest
