"""Settings for SLA Ops, read once from the environment (django-environ).

Defaults give the embedded shape (SQLite + django-q2 ORM broker on one machine); production sets
DATABASE_URL, REDIS_URL, EMAIL_URL, SECRET_KEY, ALLOWED_HOSTS and HTTPS=true (see .env.example).
"""

import ipaddress
import os
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("SLAOPS_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")


def _private_var_dir() -> None:
    # var/ holds the secret key, the SQLite file (password hashes, keys), its -wal/-shm and the
    # demo logins: only its owner may enter it or read them. Tightened on every start, so an
    # install from before this rule (a world-readable var/) is fixed by its next command; a file
    # created since (the database by `migrate`) is fixed by the next, and SQLite gives -wal and
    # -shm the database file's mode. A var/ owned by someone else is the operator's to set.
    if not VAR_DIR.is_dir() or VAR_DIR.stat().st_uid != os.getuid():
        return
    for path in [VAR_DIR, *VAR_DIR.iterdir()]:
        if path.is_symlink() or not (path == VAR_DIR or path.is_file()):
            continue
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            path.chmod(mode & 0o700)


def _embedded_secret_key(name: str = "secret_key") -> str:
    # The embedded shape must run without configuration, yet never with a key that is public:
    # generate one per installation and keep it beside the SQLite file.
    path = VAR_DIR / name
    if not path.exists():
        VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


_private_var_dir()


SECRET_KEY = env.str("SECRET_KEY", default="") or _embedded_secret_key()
# Secrets at rest (slaops/secrets.py): Fernet keys derived from SECRET_KEY (and
# SECRET_KEY_FALLBACKS) with each of these salts; the first encrypts, all decrypt. Rotation and
# what to keep in SECURITY.md. The embedded shape keeps one beside its SQLite file.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
SALT_KEY = env.list("FIELD_ENCRYPTION_KEYS", default=[]) or [
    _embedded_secret_key("field_encryption_key")
]
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Behind TLS in production: redirects, secure cookies and HSTS. Off by default because the
# embedded shape serves plain HTTP on localhost.
HTTPS = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env.bool("BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts only from our own static files, never inline;
# inline style attributes stay allowed (the Django admin uses them).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Client addresses (slaops/client_address.py), for the login lockout and throttle, the API rate
# limits and the logs: X-Forwarded-For is believed only with BEHIND_PROXY=true and only from a
# peer inside TRUSTED_PROXIES (comma-separated CIDRs; default: a proxy on this machine).
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.1/32", "::1/128"])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not a CIDR ({error})") from None

# Login lockout (django-axes), for the agents' login and the admin alike: after
# AXES_FAILURE_LIMIT wrong passwords for one username from one address, that pair is refused
# for AXES_COOLOFF_MINUTES even with the right password.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.int("AXES_COOLOFF_MINUTES", default=15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "slaops.client_address.client_address"

# Password spraying (slaops/login_throttle.py): after LOGIN_THROTTLE_AFTER failed logins from one
# address (any usernames; IPv6 counted by /64), each further attempt from it waits, 429 with
# Retry-After: LOGIN_THROTTLE_FIRST_DELAY_SECONDS, doubling with each failure up to
# LOGIN_THROTTLE_MAX_DELAY_SECONDS. A slowdown, not a lockout (an office shares one address);
# the count is forgotten LOGIN_THROTTLE_WINDOW_MINUTES after the address's last failure.
LOGIN_THROTTLE_AFTER = env.int("LOGIN_THROTTLE_AFTER", default=20)
LOGIN_THROTTLE_WINDOW_MINUTES = env.int("LOGIN_THROTTLE_WINDOW_MINUTES", default=15)
LOGIN_THROTTLE_FIRST_DELAY_SECONDS = env.int("LOGIN_THROTTLE_FIRST_DELAY_SECONDS", default=1)
LOGIN_THROTTLE_MAX_DELAY_SECONDS = env.int("LOGIN_THROTTLE_MAX_DELAY_SECONDS", default=300)

# The API refuses bodies above this size with a JSON 413 (pages keep Django's own limit).
SLA_API_MAX_BODY_BYTES = env.int("SLA_API_MAX_BODY_BYTES", default=1024 * 1024)
# ... and JSON nested deeper than this with a 400.
SLA_API_MAX_JSON_DEPTH = env.int("SLA_API_MAX_JSON_DEPTH", default=20)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Before django_q: its `qcluster` command (a clean stop on SIGTERM) replaces django-q2's.
    "slaops",
    "django_q",
    "axes",
    "csp",
    "accounts",
    "policies",
    "threads",
    "integrations",
    "whatif",
    "objectives",
    "mail",
    "slackapp",
]

MIDDLEWARE = [
    # First: probes get their answer before the host check and the HTTPS redirect.
    "slaops.health.probes.HealthProbes",
    "slaops.request_ids.RequestIds",
    "slaops.metrics.middleware.RequestLatency",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "slaops.middleware.ApiRequestLimits",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "slaops.login_throttle.LoginThrottle",  # before axes: a throttled login is not counted
    # Last, as django-axes asks: it turns a lockout raised during login into its answer.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: a locked-out login is refused before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "slaops.urls"
WSGI_APPLICATION = "slaops.wsgi.application"
ASGI_APPLICATION = "slaops.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web server and qcluster write concurrently: WAL lets readers proceed, IMMEDIATE takes the
    # write lock up front so a transaction never fails half-way on "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "slaops.postgresql"  # timestamps through the C loader
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# Storage is UTC; TIME_ZONE is only the default zone for people who did not choose one.
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded and received files (e-mail attachments, raw e-mails): never served as static files,
# only through the pages that check who asks.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Messages stay on the server: a generated secret shown once must not travel in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inbox"

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="SLA Ops <slaops@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "integrations.authentication.IntegrationKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["integrations.permissions.RolePermissions"],
    # JSON only: the API never answers HTML (Swagger UI at /api/docs/ is the API's page).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["integrations.throttling.PerClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "key": env.str("SLA_API_RATE_KEY", default="1200/min"),
        "user": env.str("SLA_API_RATE_USER", default="300/min"),
    },
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "slaops.api_errors.ApiSchema",
    "EXCEPTION_HANDLER": "slaops.api_errors.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "SLA Ops API",
    "DESCRIPTION": "Push threads and messages in; read SLA clocks and their history.",
    "VERSION": "1",
    # Swagger UI from the vendored sidecar package: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {  # two fields named "status": a thread's and an objective's
        "ThreadStatusEnum": "policies.vocabulary.ThreadStatus",
        "ObjectiveStatusEnum": "objectives.models.Status",
    },
}

REDIS_URL = env.str("REDIS_URL", default="")

# One cache for every process (API rate limits count across web workers): Redis when there is
# one, else files beside the SQLite database (the embedded shape runs on one machine).
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# django-q2 tuned for alerting: a missed tick is not replayed (catch_up off) because the
# evaluator always works from the current time; a task that hangs is killed (timeout) before
# the broker hands it to another worker (retry), and a failing task is not retried forever.
Q_CLUSTER = {
    "name": "slaops",
    # Four: the evaluator and the mail poller each tick through most of every minute, and the
    # alerts' delivery, replies and the other scheduled runs must not wait for them.
    "workers": env.int("Q_WORKERS", default=4),
    "timeout": env.int("Q_TIMEOUT", default=50),
    "retry": env.int("Q_RETRY", default=60),
    "max_attempts": 3,
    "catch_up": False,
    "save_limit": 500,
    # Tasks a cluster fetches ahead of its workers: few, since a SIGKILLed cluster loses what it
    # fetched (the schedule repeats ours) and on a stop fetched tasks only return at once.
    "queue_limit": 4,
    "label": "Task queue",
    "poll": 1,
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# Outbound requests (alert channels): https only, except plain http to these hosts (local use);
# and never to loopback, private, link-local or cloud-metadata addresses unless allowed here.
SLA_HTTP_ALLOWED_HOSTS = env.list("SLA_HTTP_ALLOWED_HOSTS", default=[])
SLA_ALLOW_PRIVATE_DESTINATIONS = env.bool("SLA_ALLOW_PRIVATE_DESTINATIONS", default=False)

# Times an integration may give for its events: not before the thread, and not more than this
# far ahead of the server's clock.
SLA_MAX_CLOCK_SKEW_SECONDS = env.int("SLA_MAX_CLOCK_SKEW_SECONDS", default=300)

# Absolute address of this site, for links in alerts.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# axes answers a locked-out XMLHttpRequest with a CORS header: name our own origin, not "*".
AXES_ALLOWED_CORS_ORIGINS = SITE_URL

# How often the SLA evaluator is scheduled, in minutes: the backstop of its chain, which ticks
# every SLA_TICK_SECONDS and queues its own next run (threads/evaluator_chain.py), so alerts leave
# within seconds of their time (0 = one tick per scheduled run, no chain).
SLA_EVALUATE_EVERY = env.int("SLA_EVALUATE_EVERY", default=1)
SLA_TICK_SECONDS = env.int("SLA_TICK_SECONDS", default=5)
SLA_KEEP_LOG_DAYS = env.int("SLA_KEEP_LOG_DAYS", default=90)
# A delivery is claimed right before its send; if the worker dies, it is sent again (marked as
# a possible repeat) this many seconds after the claim: longer than the slowest send (10 s).
SLA_DELIVERY_LEASE_SECONDS = env.int("SLA_DELIVERY_LEASE_SECONDS", default=20)
# A delivery run starts sends for this many seconds, then hands over to a fresh run if more are
# due (within the task timeout Q_TIMEOUT, so its last sends finish and are recorded).
SLA_DELIVERY_RUN_SECONDS = env.int("SLA_DELIVERY_RUN_SECONDS", default=30)
# Sends in flight per delivery run, and at most this many to one destination (a channel; the
# mail server for e-mail), so one slow endpoint never holds up the others.
SLA_DELIVERY_THREADS = env.int("SLA_DELIVERY_THREADS", default=16)
SLA_DELIVERY_PER_DESTINATION = env.int("SLA_DELIVERY_PER_DESTINATION", default=4)
# New alerts are handed to the delivery task as soon as their change commits (the schedule still
# retries); the tests switch it off and run delivery themselves.
SLA_DELIVER_ON_COMMIT = env.bool("SLA_DELIVER_ON_COMMIT", default=True)
# How often the breach queue refreshes its live part, in seconds.
# Slack's Web API (slackapp/web.py checks it like every outbound address: Slack's own host, or a
# host in SLA_HTTP_ALLOWED_HOSTS for local use and tests).
SLACK_API_URL = env.str("SLACK_API_URL", default="https://slack.com/api/")
SLACK_APP_TOKEN = env.str("SLACK_APP_TOKEN", default="")  # Socket Mode's xapp-… (.env.example)
SLA_QUEUE_REFRESH_SECONDS = env.int("SLA_QUEUE_REFRESH_SECONDS", default=10)
# How often the thread page polls its clocks, messages and history, and every page its bell.
SLA_LIVE_REFRESH_SECONDS = env.int("SLA_LIVE_REFRESH_SECONDS", default=10)
# Seconds an SMTP connection may wait for the mail server.
EMAIL_TIMEOUT = EMAIL_CONFIG.get("EMAIL_TIMEOUT") or env.int("EMAIL_TIMEOUT", default=10)

# E-mail as a channel (the `mail` app). Mailboxes are polled every MAIL_POLL_EVERY minutes, at
# most MAIL_POLL_BATCH messages per mailbox and run. A message's Date header is believed back to
# MAIL_DATE_TRUST_SECONDS before it was fetched (a late poll), never ahead of the server's clock.
MAIL_POLL_EVERY = env.int("MAIL_POLL_EVERY", default=1)
MAIL_POLL_BATCH = env.int("MAIL_POLL_BATCH", default=500)
# Within each scheduled run, poll again every MAIL_POLL_TICK_SECONDS for MAIL_POLL_RUN_SECONDS
# (shorter than the task timeout, Q_TIMEOUT): mail reaches the queue within seconds.
MAIL_POLL_TICK_SECONDS = env.int("MAIL_POLL_TICK_SECONDS", default=15)
MAIL_POLL_RUN_SECONDS = env.int("MAIL_POLL_RUN_SECONDS", default=40)
# Conversations ingested side by side within a poll (PostgreSQL only; SQLite takes one writer).
MAIL_INGEST_WORKERS = env.int("MAIL_INGEST_WORKERS", default=4)
MAIL_DATE_TRUST_SECONDS = env.int("MAIL_DATE_TRUST_SECONDS", default=900)
MAIL_KEEP_RAW = env.bool("MAIL_KEEP_RAW", default=True)  # the original .eml beside each message
MAIL_MAX_ATTACHMENT_BYTES = env.int("MAIL_MAX_ATTACHMENT_BYTES", default=25 * 1024 * 1024)
# The largest e-mail taken in: by default one carrying an attachment of the size above (base64
# makes it 4/3 larger) and 2 MiB more of text. Larger ones are refused before they are read: an
# IMAP one opens or updates its thread with a note and stays in the mailbox (read, flagged), a
# provider's post is answered 413. A provider's post may be twice this size (the message parsed
# and raw side by side); Amazon SES's (an SNS notification, at most 256 KiB) at most 1 MiB.
MAIL_MAX_MESSAGE_BYTES = env.int(
    "MAIL_MAX_MESSAGE_BYTES", default=MAIL_MAX_ATTACHMENT_BYTES * 4 // 3 + 2 * 1024 * 1024
)
MAIL_TIMEOUT = env.int("MAIL_TIMEOUT", default=20)  # seconds for an IMAP or SMTP server
# Replies that fail to send are retried with backoff (30 s doubling, at most an hour) until
# they are this old, then marked failed.
MAIL_SEND_GIVE_UP_HOURS = env.int("MAIL_SEND_GIVE_UP_HOURS", default=24)
MAIL_SEND_LEASE_SECONDS = env.int("MAIL_SEND_LEASE_SECONDS", default=120)
# (Replies start sending when they commit, like alerts: SLA_DELIVER_ON_COMMIT.)

from slaops.settings_health import *  # noqa: E402, F403 - thresholds of /status (slaops/health/)
from slaops.settings_logging import *  # noqa: E402, F403 - LOG_FORMAT=json, request ids
from slaops.settings_mail_webhooks import *  # noqa: E402, F403 - providers' inbound mail
