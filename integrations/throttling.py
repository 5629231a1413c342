"""API rate limits: per integration key (rate "key") and per person (rate "user"); a request
without either (only the public schema allows one) counts against its address at the "user"
rate. Over the limit is a 429 with Retry-After, in the API's error shape. The address is
slaops.client_address's (X-Forwarded-For only from a trusted proxy; IPv6 by /64), never DRF's
get_ident, which believes any X-Forwarded-For a client sends.

Counts live in Django's default cache, which settings make one for every process (files in var/
embedded, Redis when REDIS_URL is set), so N web workers grant the rate once, not N times."""

import math

from django_ratelimit.core import get_usage
from rest_framework.exceptions import APIException, Throttled
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from integrations.authentication import integration_key
from slaops.client_address import client_group


class RateLimited(Throttled):
    """DRF's 429 with Retry-After, saying in words when to come back; slaops.api_errors gives it
    the API's error shape like every other error."""

    def __init__(self, wait: float | None):
        seconds = max(1, math.ceil(wait)) if wait is not None else None
        message = (
            f"Too many requests: try again in {seconds} seconds."
            if seconds
            else "Too many requests: try again later."
        )
        APIException.__init__(self, detail=message)  # Throttled would append its own sentence
        self.wait = seconds  # DRF's handler turns it into Retry-After


class PerClientRateThrottle(BaseThrottle):
    """A fixed window per client, counted in the cache by django-ratelimit (one counter: add,
    then incr, atomic on Redis), so a check costs the same at any rate. DRF's
    SimpleRateThrottle keeps the time of every request in the window and rewrites that whole
    list on each call: at an integration's rate of thousands a minute it cost milliseconds a
    request. A window may grant up to twice the rate across its boundary, as fixed windows do."""

    def allow_request(self, request, view) -> bool:
        key = integration_key(request)
        scope = "key" if key is not None else "user"
        # Read now, not at import as DRF's class attribute does, so a changed setting applies.
        rate = api_settings.DEFAULT_THROTTLE_RATES[scope]
        ident = self.ident(request, key)
        usage = get_usage(
            request, group=f"api-{scope}", key=lambda group, request: ident, rate=rate,
            increment=True,
        )  # fmt: skip
        if usage is None or not usage["should_limit"]:
            return True
        # A cache that failed answers time_left -1: refused, without a time to come back.
        raise RateLimited(usage["time_left"] if usage["time_left"] >= 0 else None)

    def ident(self, request, key) -> str:
        if key is not None:
            return f"key-{key.prefix}"
        if request.user and request.user.is_authenticated:
            return f"user-{request.user.pk}"
        return f"address-{client_group(request)}"
