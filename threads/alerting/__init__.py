"""Alerting: the outbox written with each SLA event (outbox.py), what an alert says (alert.py),
the task that sends it (delivery.py) and one transport per kind (transports/)."""
