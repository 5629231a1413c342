"""Prometheus metrics (prometheus_client): what the processes observe (`instruments`), the
figures read from the database behind one cached collector (`figures`), who may read /metrics
(`access`) and the exposition for the web and for the task cluster's port (`exposition`)."""
