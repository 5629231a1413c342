"""Where alert channels may send: the one gate for every outgoing HTTP request of a transport.

A URL is checked when a channel is saved (https, plain http only to SLA_HTTP_ALLOWED_HOSTS, Slack
only to Slack) and again when it is sent to; at send time the host is resolved, every address is
checked (no loopback, private, link-local or cloud metadata address unless
SLA_ALLOW_PRIVATE_DESTINATIONS), and the connection goes to the checked address itself, so a DNS
answer that changes between the check and the connection cannot redirect it. Redirects are not
followed, and the caller gets the status and reason of the answer, never its body unless it asks
for a few bytes to recognise.
"""

import ipaddress
import re
import socket
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

# Slack's incoming webhooks (commercial and GovSlack).
SLACK_WEBHOOK_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})
# Instance metadata services (AWS/GCP/Azure/OpenStack, AWS over IPv6, Alibaba): they hand out
# cloud credentials to whoever asks from inside, so they are named even where the ranges would
# catch them.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, often a cloud's internal net
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class DestinationNotAllowed(Exception):
    """This URL or address is not one alerts may be sent to; the message says why."""


# What a refused inside address tells whoever set up the destination: the two settings, exactly
# as check_url and check_address read them (a local receiver needs both, or neither over https).
INSIDE_ADDRESS_HINT = (
    "SLA_HTTP_ALLOWED_HOSTS does not change this: it only allows plain http (instead of https) "
    "to the hosts it names. Only SLA_ALLOW_PRIVATE_DESTINATIONS=true allows such addresses, and "
    "then every loopback, private, link-local and cloud-metadata address for every channel, "
    "mailbox and ping: for a test machine, never in production"
)
# check_address's and checked_addresses' refusals: "<host> is <kind of> address", "<host>
# resolves to <kind of> address".
_INSIDE = re.compile(r"destination not allowed: \S+ (?:is|resolves to) .*address", re.IGNORECASE)


def refusal_words(message: str) -> str:
    """A refusal as a person reads it ("Destination not allowed: 127.0.0.1 is a loopback
    address. …"): an inside address names the setting that allows it and what else it allows."""
    text = message.strip().rstrip(".")
    text = text[:1].upper() + text[1:]
    if _INSIDE.match(text):
        return f"{text}. {INSIDE_ADDRESS_HINT}."
    return text + "."


class Unreachable(Exception):
    """No answer: refused, reset, timed out, a TLS failure, or the name does not resolve."""


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    headers: dict[str, str]
    start: bytes = b""  # the first bytes of the body, only when the caller asked for them

    @property
    def said(self) -> str:
        """ "503 Service Unavailable": what the answer may show of itself."""
        return f"{self.status} {self.reason}".strip()


def _http_allowed_hosts() -> set[str]:
    return {host.lower() for host in settings.SLA_HTTP_ALLOWED_HOSTS}


def check_url(url: str, *, slack: bool = False) -> None:
    """Refuse a URL alerts must not go to, without any network traffic (used at save time)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError as error:
        raise DestinationNotAllowed(f"destination not allowed: {error}") from None
    host = (parts.hostname or "").lower()
    if not host:
        raise DestinationNotAllowed("destination not allowed: the address has no host")
    try:
        host.encode("idna")
    except UnicodeError:
        raise DestinationNotAllowed("destination not allowed: the host name is not valid") from None
    if parts.username is not None or parts.password is not None:
        raise DestinationNotAllowed(
            "destination not allowed: the address must not contain a user name or password"
        )
    allowed_http = host in _http_allowed_hosts()
    if parts.scheme == "http" and not allowed_http:
        raise DestinationNotAllowed(
            f"destination not allowed: use https (plain http only to {_allowed_list()})"
        )
    if parts.scheme not in ("http", "https"):
        raise DestinationNotAllowed("destination not allowed: only https addresses")
    if slack and host not in SLACK_WEBHOOK_HOSTS and not allowed_http:
        raise DestinationNotAllowed(
            "destination not allowed: a Slack incoming webhook starts with https://hooks.slack.com/"
        )
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return
    check_address(literal)


def _allowed_list() -> str:
    hosts = sorted(_http_allowed_hosts())
    if not hosts:
        return "hosts in SLA_HTTP_ALLOWED_HOSTS"
    return ", ".join(hosts) + " (SLA_HTTP_ALLOWED_HOSTS)"


def address_problem(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """What kind of address this is if alerts must not go there; empty for a public address."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        problem = address_problem(embedded)
        return f"{problem} (inside {address})" if problem else ""
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    for flag, kind in (
        ("is_loopback", "a loopback address"),
        ("is_unspecified", "an unspecified address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
    ):
        if getattr(address, flag):
            return kind
    if address.version == 6 and address in UNIQUE_LOCAL:
        return "a unique-local address"
    if address.version == 4 and address in SHARED:
        return "a shared (carrier-grade NAT) address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a public address"
    return ""


def _embedded_ipv4(address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo, NAT64), if any."""
    if address.version != 6:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def check_address(address) -> None:
    if settings.SLA_ALLOW_PRIVATE_DESTINATIONS:
        return
    problem = address_problem(address)
    if problem:
        raise DestinationNotAllowed(f"destination not allowed: {address} is {problem}")


def resolve(host: str, port: int) -> list[str]:
    """Every address the name resolves to, in the resolver's order (tests replace this)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Unreachable(f"cannot resolve {host}") from None
    return list(dict.fromkeys(info[4][0] for info in found))


def checked_addresses(host: str, port: int) -> list[str]:
    """The host's addresses, all of them allowed: one refused address refuses the host, so a
    name that also points inside cannot be used to reach inside."""
    addresses = resolve(host, port)
    if not addresses:
        raise Unreachable(f"cannot resolve {host}")
    for address in addresses:
        checked = ipaddress.ip_address(address.split("%")[0])
        try:
            check_address(checked)
        except DestinationNotAllowed:
            if host.strip("[]") == str(checked):
                raise  # an address typed as it is: naming it tells nothing new
            # Say what kind of address, never which: the message reaches a manager, who must
            # not learn what names inside the server's network resolve to.
            raise DestinationNotAllowed(
                f"destination not allowed: {host} resolves to {address_problem(checked)}"
            ) from None
    return addresses


def post(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    slack: bool = False,
    read: int = 0,
) -> Answer:
    """POST `body` to `url` if it is allowed; `read` = how many bytes of the answer to keep."""
    return _send("POST", url, body=body, headers=headers, timeout=timeout, slack=slack, read=read)


def get(url: str, *, headers: dict[str, str], timeout: float) -> Answer:
    """GET `url` if it is allowed (a heartbeat ping: only the answer's status matters)."""
    return _send("GET", url, body=None, headers=headers, timeout=timeout)


def _send(
    method: str,
    url: str,
    *,
    body: bytes | None,
    headers: dict[str, str],
    timeout: float,
    slack: bool = False,
    read: int = 0,
) -> Answer:
    check_url(url, slack=slack)
    parts = urlsplit(url)
    host = parts.hostname.lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # The name the request is for, as a normal client would send it (an IDN in its ASCII
    # form); the socket goes to the address checked below.
    name = host if ":" in host else host.encode("idna").decode("ascii")
    shown = f"[{name}]" if ":" in name else name
    request_headers = {**headers, "Host": f"{shown}:{parts.port}" if parts.port else shown}
    last_error = None
    for address in checked_addresses(name, port):
        pool = _pool(parts.scheme, address, port, name, timeout)
        try:
            response = pool.urlopen(
                method,
                target,
                body=body,
                headers=request_headers,
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
            try:
                start = response.read(read) if read else b""
            finally:
                response.release_conn()
            return Answer(
                status=response.status,
                reason=_reason(response.status, response.reason),
                headers=dict(response.headers),
                start=start,
            )
        except urllib3.exceptions.NewConnectionError as error:
            last_error = error  # nothing was sent: try the host's next address
        except urllib3.exceptions.HTTPError as error:
            raise Unreachable(_describe(error)) from None
        finally:
            pool.close()
    raise Unreachable(_describe(last_error)) from None


def _pool(scheme: str, address: str, port: int, host: str, timeout: float):
    limits = urllib3.Timeout(connect=timeout, read=timeout)
    if scheme == "https":
        # TLS is checked against the name (SNI and certificate), not the address we dial.
        return urllib3.HTTPSConnectionPool(
            address,
            port,
            timeout=limits,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            server_hostname=host,
            assert_hostname=host,
        )
    return urllib3.HTTPConnectionPool(address, port, timeout=limits, retries=False)


def _reason(status: int, given: str | None) -> str:
    # The standard phrase where there is one: the server's own is foreign text too.
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        text = "".join(c for c in (given or "") if c.isprintable())
        return text[:40]


def _describe(error: Exception | None) -> str:
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        # "…: Failed to establish a new connection: [Errno 111] Connection refused"
        return "connection failed: " + str(error).split("new connection: ", 1)[-1]
    if isinstance(error, urllib3.exceptions.ConnectTimeoutError):
        return "connection timed out"
    if isinstance(error, urllib3.exceptions.ReadTimeoutError):
        return "no answer in time"
    if isinstance(error, urllib3.exceptions.SSLError):
        return f"TLS failed: {error}"
    return f"{type(error).__name__}: {error}" if error else "no address to connect to"
