"""Test settings: SQLite in memory by default; the server pass (SLAOPS_TEST_SERVERS=1) uses the
PostgreSQL in DATABASE_URL for the tests marked `server`."""

import os

from slaops.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

SERVER_PASS = os.environ.get("SLAOPS_TEST_SERVERS") == "1"
SERVER_DATABASE_URL = os.environ.get("DATABASE_URL", "")
if SERVER_PASS and SERVER_DATABASE_URL.startswith(("postgres", "pgsql")):
    DATABASES = {"default": env.db_url_config(SERVER_DATABASE_URL)}
    DATABASES["default"]["ENGINE"] = "slaops.postgresql"  # the product's backend (settings.py)
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
WHITENOISE_AUTOREFRESH = True  # no collectstatic in tests; also silences the missing STATIC_ROOT
SLA_DELIVER_ON_COMMIT = False  # tests run delivery themselves
# The test client logs in without a request, which django-axes cannot count; the lockout tests
# switch it on for themselves.
AXES_ENABLED = False
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"key": "100000/min", "user": "100000/min"},
}
# Tests sign in wrong from 127.0.0.1 all session long; tests/test_login_throttle.py sets the real
# threshold for itself.
LOGIN_THROTTLE_AFTER = 100000
# The delivery tests run their Slack, webhook and mail servers on this machine.
SLA_HTTP_ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SLA_ALLOW_PRIVATE_DESTINATIONS = True
# Each test process keeps its own cache: rate-limit counts never leak between tests or workers.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
