"""Logging (imported by slaops/settings.py): plain lines by default; LOG_FORMAT=json writes one
JSON object a line (python-json-logger) with the request id and, where known, the thread id
(slaops/request_ids.py). Neither format adds secrets or message bodies: only what the code logs."""

import environ
from pythonjsonlogger.core import RESERVED_ATTRS

env = environ.Env()

LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")

_FORMATTERS = {
    "text": {"format": "%(message)s"},
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(levelname)s %(name)s %(message)s",
        "rename_fields": {"levelname": "level", "name": "logger"},
        "timestamp": "time",  # ISO 8601 in UTC
        # Django hands its request object to django.request's records: its text may hold a
        # query string, so it is left out (the path is in the message, the id in request_id).
        "reserved_attrs": [*RESERVED_ATTRS, "request"],
    },
}
if LOG_FORMAT not in _FORMATTERS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"LOG_FORMAT is 'text' or 'json', not {LOG_FORMAT!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "slaops.request_ids.LogContext"}},
    "formatters": {"chosen": _FORMATTERS[LOG_FORMAT]},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": "chosen",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {n: {"level": "ERROR"} for n in ("weasyprint", "fontTools")},  # PDF layout chatter
}
