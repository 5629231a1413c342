"""Health settings (imported by slaops/settings.py): the thresholds of `/status`, who may read its
detail, the web process's drain and the task cluster's heartbeat file (slaops/health/)."""

import environ

env = environ.Env()

# A bearer token for monitoring: `Authorization: Bearer <METRICS_TOKEN>` reads the detail of
# /status (and the metrics). Empty: only staff read the detail.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# /status, critical checks (503 when one fails): a task cluster beat within this many seconds,
SLA_HEALTH_CLUSTER_SECONDS = env.int("SLA_HEALTH_CLUSTER_SECONDS", default=120)
# the evaluator's last completed tick within this many seconds,
SLA_HEALTH_TICK_SECONDS = env.int("SLA_HEALTH_TICK_SECONDS", default=180)
# and no due clock left unevaluated longer than this (the evaluator's lag).
SLA_HEALTH_LAG_SECONDS = env.int("SLA_HEALTH_LAG_SECONDS", default=120)
# Reported as degraded, never 503: an alert due this long and not sent (quiet hours and backoff
# aside), an IMAP mailbox not polled successfully for this long, a Slack event unprocessed
# this long.
SLA_HEALTH_DELIVERY_SECONDS = env.int("SLA_HEALTH_DELIVERY_SECONDS", default=120)
SLA_HEALTH_MAIL_POLL_SECONDS = env.int("SLA_HEALTH_MAIL_POLL_SECONDS", default=300)
SLA_HEALTH_SLACK_SECONDS = env.int("SLA_HEALTH_SLACK_SECONDS", default=120)
# The evaluator's chain (threads/evaluator_chain.py) silent this long, its run killed, is taken
# over by the next scheduled run.
SLA_CHAIN_QUIET_SECONDS = env.int("SLA_CHAIN_QUIET_SECONDS", default=30)

# How often a running task cluster records its heartbeat (a database row, and this file's
# modification time for an exec liveness probe: `find FILE -mmin -2`); empty: the file
# qcluster.heartbeat in SLAOPS_VAR_DIR.
SLA_CLUSTER_BEAT_SECONDS = env.int("SLA_CLUSTER_BEAT_SECONDS", default=15)
SLA_CLUSTER_HEARTBEAT_FILE = env.str("SLA_CLUSTER_HEARTBEAT_FILE", default="")

# The dead man's switch (slaops/health/ping.py): after a completed evaluator tick the cluster
# GETs this URL (healthchecks.io and similar: `<url>/fail` when no cluster completed a tick), at
# most once every SLA_HEARTBEAT_EVERY_SECONDS, waiting at most SLA_HEARTBEAT_TIMEOUT_SECONDS.
# Through the outbound gate: https, or http to a host in SLA_HTTP_ALLOWED_HOSTS. Empty: no ping.
HEARTBEAT_URL = env.str("HEARTBEAT_URL", default="")
SLA_HEARTBEAT_EVERY_SECONDS = env.int("SLA_HEARTBEAT_EVERY_SECONDS", default=60)
SLA_HEARTBEAT_TIMEOUT_SECONDS = env.float("SLA_HEARTBEAT_TIMEOUT_SECONDS", default=3.0)

# The red banner on the admin index, the inbox and the queue (slaops/health/banner.py): shown
# when the last completed tick is older than SLA_HEALTH_TICK_SECONDS, or a channel's deliveries
# have been failing this long; read at most once every SLA_BANNER_CACHE_SECONDS.
SLA_HEALTH_CHANNEL_FAILING_SECONDS = env.int("SLA_HEALTH_CHANNEL_FAILING_SECONDS", default=600)
SLA_BANNER_CACHE_SECONDS = env.int("SLA_BANNER_CACHE_SECONDS", default=10)

# Operator alerts (slaops/health/incidents.py): a problem that comes back within this many
# minutes of its last announcement is recorded but not announced again (nor its recovery).
SLA_OPERATOR_ALERT_QUIET_MINUTES = env.int("SLA_OPERATOR_ALERT_QUIET_MINUTES", default=30)
# An operator alert no channel (nor the managers' e-mail) took is tried again every run for this
# many minutes.
SLA_OPERATOR_ALERT_RETRY_MINUTES = env.int("SLA_OPERATOR_ALERT_RETRY_MINUTES", default=60)

# Prometheus metrics (slaops/metrics/). /metrics is readable with the METRICS_TOKEN above, by a
# signed-in superuser, or from these addresses or networks (comma-separated, e.g.
# "10.0.0.0/8,127.0.0.1"; the client address as slaops/client_address.py decides it).
SLA_METRICS_ALLOWED_ADDRESSES = env.list("SLA_METRICS_ALLOWED_ADDRESSES", default=[])
# The database figures of /metrics are read at most this often (shared through the cache).
SLA_METRICS_REFRESH_SECONDS = env.int("SLA_METRICS_REFRESH_SECONDS", default=30)
# A port for the task cluster's own metrics (prometheus_client's HTTP server in the qcluster
# process; needs PROMETHEUS_MULTIPROC_DIR); 0 = none. It has no login: bind it
# (SLA_CLUSTER_METRICS_ADDRESS) where only Prometheus reaches it, e.g. a pod address behind a
# network policy.
SLA_CLUSTER_METRICS_PORT = env.int("SLA_CLUSTER_METRICS_PORT", default=0)
SLA_CLUSTER_METRICS_ADDRESS = env.str("SLA_CLUSTER_METRICS_ADDRESS", default="127.0.0.1")
