"""Logging (imported by slaops/settings.py): plain lines by default; LOG_FORMAT=json writes one
JSON object a line (python-json-logger) with the request id and, where known, the thread id
(slaops/request_ids.py). Neither format adds secrets or message bodies: only what the code logs."""

import environ

env = environ.Env()

LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")

_FORMATTERS = {
    "text": {"format": "%(message)s"},
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        "timestamp": False,
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
