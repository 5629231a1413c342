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

# How often a running task cluster records its heartbeat (a database row, and this file's
# modification time for an exec liveness probe: `find FILE -mmin -2`); empty: the file
# qcluster.heartbeat in SLAOPS_VAR_DIR.
SLA_CLUSTER_BEAT_SECONDS = env.int("SLA_CLUSTER_BEAT_SECONDS", default=15)
SLA_CLUSTER_HEARTBEAT_FILE = env.str("SLA_CLUSTER_HEARTBEAT_FILE", default="")
