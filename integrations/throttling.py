"""API rate limits: per integration key (rate "key") and per person (rate "user"); a request
without either (only the public schema allows one) counts against its address at the "user"
rate. Over the limit is a 429 with Retry-After, in the API's error shape.

Counts live in Django's default cache, which settings make one for every process (files in var/
embedded, Redis when REDIS_URL is set), so N web workers grant the rate once, not N times."""

import math

from rest_framework.exceptions import APIException, Throttled
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from integrations.authentication import integration_key


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


class PerClientRateThrottle(SimpleRateThrottle):
    def __init__(self):
        pass  # the rate depends on who calls: chosen per request in allow_request

    def get_rate(self) -> str:
        # Read now, not at import as DRF's class attribute does, so a changed setting applies.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def allow_request(self, request, view) -> bool:
        key = integration_key(request)
        self.scope = "key" if key is not None else "user"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if super().allow_request(request, view):
            return True
        raise RateLimited(self.wait())

    def get_cache_key(self, request, view) -> str:
        key = integration_key(request)
        if key is not None:
            ident = f"key-{key.prefix}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
