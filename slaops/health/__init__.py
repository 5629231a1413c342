"""Health of SLA Ops for orchestrators and monitoring: probes, heartbeats, /status.

Importing this package loads nothing of Django: gunicorn's configuration imports `draining`."""
