"""The PostgreSQL backend: Django's own, reading `timestamptz` columns through psycopg's C loader.

Django's psycopg 3 backend reads every `timestamptz` through a subclass of psycopg's pure-Python
loader (it sets the connection's zone on each value), about six times slower than the C loader
psycopg_binary registers. With USE_TZ and the database zone UTC (DATABASES TIME_ZONE unset) the
session runs in UTC and the C loader already gives the same values, `datetime.timezone.utc`
included; the evaluator reads thousands of them per tick (docs/performance.md). So only in that
case each connection's adapters map gets a loader that hands the text to the C loader. Any other
zone keeps Django's loader, and Django still registers its own on a cursor whose zone differs
(create_cursor compares `timezone`)."""

import datetime

from django.conf import settings
from django.db.backends.postgresql import base
from psycopg import adapt, adapters, postgres, pq

TIMESTAMPTZ = postgres.types["timestamptz"].oid
_C_LOADER = adapters.get_loader(TIMESTAMPTZ, pq.Format.TEXT)  # psycopg_binary's, when installed
_contexts: dict[int, adapt.AdaptersMap] = {}


class UtcTimestamptzLoader(adapt.Loader):
    """psycopg's fastest text loader for timestamptz, on a session in UTC."""

    timezone = datetime.UTC  # what Django's create_cursor compares

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self._load = _C_LOADER(oid, context).load

    def load(self, data):
        return self._load(data)


def with_fast_timestamps(template: adapt.AdaptersMap) -> adapt.AdaptersMap:
    """Django's adapters map (one per USE_TZ and zone, cached) with the fast loader on top."""
    found = _contexts.get(id(template))
    if found is None:
        found = adapt.AdaptersMap(template)
        found.register_loader("timestamptz", UtcTimestamptzLoader)
        _contexts[id(template)] = found
    return found


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        utc = settings.USE_TZ and self.timezone == datetime.UTC
        if utc and "context" in params:
            params["context"] = with_fast_timestamps(params["context"])
        return params
