"""The web tier's drain: after SIGTERM, /readyz answers 503 so the load balancer takes this
process out of rotation while it still serves what it is sent, then it stops.

One flag in shared memory, created when gunicorn's master imports its configuration
(slaops/gunicorn_conf.py) and inherited by every worker it forks; raised by the master. Without
that configuration (runserver, `manage.py serve`) nothing raises it. No Django import here.
"""

import multiprocessing

_DRAINING = multiprocessing.get_context("fork").RawValue("b", 0)


def draining() -> bool:
    return bool(_DRAINING.value)


def start_draining() -> None:
    _DRAINING.value = 1


def stop_draining() -> None:
    """For tests."""
    _DRAINING.value = 0
