"""Who may read /metrics: a caller with `Authorization: Bearer <METRICS_TOKEN>` (compared in
constant time, as for /status), a client address inside SLA_METRICS_ALLOWED_ADDRESSES (decided
by slaops/client_address.py: X-Forwarded-For only from a trusted proxy), or a signed-in active
superuser. Nobody else learns a figure."""

import ipaddress
from functools import lru_cache

from django.conf import settings

from slaops.client_address import client_address
from slaops.health.views import bearer_token_matches


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def address_allowed(request) -> bool:
    entries = tuple(settings.SLA_METRICS_ALLOWED_ADDRESSES)
    address = client_address(request) if entries else None
    if address is None:
        return False
    parsed = ipaddress.ip_address(address.split("%")[0])
    return any(
        parsed.version == network.version and parsed in network for network in _networks(entries)
    )


def may_read_metrics(request) -> bool:
    if bearer_token_matches(request.META.get("HTTP_AUTHORIZATION", "")):
        return True
    if address_allowed(request):
        return True
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)
