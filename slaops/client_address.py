"""The client's address, decided in one place for the login lockout (django-axes), the login
throttle, the API rate limits and the logs.

`X-Forwarded-For` is believed only with BEHIND_PROXY=true and only when the peer (REMOTE_ADDR)
is inside TRUSTED_PROXIES. The chain is then read from the right, past every trusted proxy: the
first address that is not one is the client, and whatever a client wrote into the header itself
sits to its left, unread. Otherwise the client is REMOTE_ADDR. Each address is parsed by
python-ipware, the parser under django-ipware (ports and brackets stripped, IPv4-mapped IPv6
unwrapped, junk skipped); trust is decided here because ipware's `proxy_list` compares the
chain's tail entry by entry and never looks at the peer.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from python_ipware.modern.parsers import parse_ip, split_proxy_chain

IPV6_GROUP_PREFIX = 64  # one subscriber, one office or one cloud host usually holds a whole /64


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _trusted(address) -> bool:
    return any(
        address.version == network.version and address in network
        for network in _networks(tuple(settings.TRUSTED_PROXIES))
    )


def _client(request):
    peer = parse_ip(request.META.get("REMOTE_ADDR"))
    if peer is None or not (settings.BEHIND_PROXY and _trusted(peer)):
        return peer
    # Not strict: a token a client forged (junk, "unknown") must not make the whole header, and
    # with it every client of the proxy, fall back to the proxy's own address.
    hops = split_proxy_chain(request.META.get("HTTP_X_FORWARDED_FOR", ""), False) or []
    for hop in reversed(hops):
        if not _trusted(hop):
            return hop
    return hops[0] if hops else peer  # every hop is one of ours: the first is the client


def client_address(request) -> str | None:
    """The client's IP address as text (django-axes' AXES_CLIENT_IP_CALLABLE), None if unknown."""
    address = _client(request)
    return str(address) if address is not None else None


def client_group(request) -> str:
    """What per-address limits count: an IPv4 address, or the /64 of an IPv6 one (a single
    client may hold all 2^64 addresses of its /64 and change address at will)."""
    address = _client(request)
    if address is None:
        return "unknown"
    if address.version == 6:
        host_bits = 128 - IPV6_GROUP_PREFIX
        network = int(address) >> host_bits << host_bits  # also drops a %zone
        return str(ipaddress.IPv6Network((network, IPV6_GROUP_PREFIX)))
    return str(address)
