"""Objectives' alert defaults (docs/rules.md, "Objectives: alerts"), kept here rather than in
slaops/settings.py: a Django setting of the same name wins, then the environment variable, then
the default.

- SLA_OBJECTIVE_FAST_BURN_SHARE (0.02): a fast burn spends more than this share of the period's
  budget of misses in the last hour;
- SLA_OBJECTIVE_SLOW_BURN_SHARE (0.05): a slow burn, in the last 6 hours (and still burning at
  that rate in the last 30 minutes);
- SLA_OBJECTIVE_BURN_MIN_MISSES (3): the fewest misses a burn's window needs to alert;
- SLA_OBJECTIVE_REARM_MINUTES (60): how long an objective stays healthy before its alerts are
  re-armed (a new episode).
"""

import environ
from django.conf import settings

DEFAULTS: dict[str, tuple[type, float | int]] = {
    "SLA_OBJECTIVE_FAST_BURN_SHARE": (float, 0.02),
    "SLA_OBJECTIVE_SLOW_BURN_SHARE": (float, 0.05),
    "SLA_OBJECTIVE_BURN_MIN_MISSES": (int, 3),
    "SLA_OBJECTIVE_REARM_MINUTES": (int, 60),
}
_env = environ.Env()


def setting(name: str):
    cast, default = DEFAULTS[name]
    if hasattr(settings, name):
        return cast(getattr(settings, name))
    return _env.get_value(name, cast=cast, default=default)
