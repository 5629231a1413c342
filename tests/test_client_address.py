"""One resolver of the client's address (slaops/client_address.py): X-Forwarded-For is believed
only with BEHIND_PROXY and only from a peer in TRUSTED_PROXIES."""

import pytest
from django.test import RequestFactory

from slaops.client_address import client_address, client_group


def request(remote="203.0.113.9", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/login/", **extra)


@pytest.fixture
def behind_proxy(settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "fd00::/8"]


def test_without_a_proxy_a_forwarded_address_is_not_believed(settings):
    settings.BEHIND_PROXY = False
    settings.TRUSTED_PROXIES = ["0.0.0.0/0"]
    assert client_address(request("203.0.113.9", "198.51.100.7")) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_client_is_the_address_it_forwards(behind_proxy):
    assert client_address(request("10.0.0.2", "198.51.100.7")) == "198.51.100.7"


def test_an_address_the_client_wrote_itself_is_skipped(behind_proxy):
    # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the address it saw.
    assert client_address(request("10.0.0.2", "1.2.3.4, 198.51.100.7")) == "198.51.100.7"


def test_a_chain_of_trusted_proxies_is_walked_back_to_the_client(behind_proxy):
    assert client_address(request("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.9.9.9")) == (
        "198.51.100.7"
    )


def test_a_forwarded_address_from_an_untrusted_peer_is_not_believed(behind_proxy):
    assert client_address(request("203.0.113.9", "198.51.100.7")) == "203.0.113.9"


def test_junk_in_the_header_does_not_turn_every_client_into_the_proxy(behind_proxy):
    assert client_address(request("10.0.0.2", "unknown, 198.51.100.7:4711, ,x")) == ("198.51.100.7")
    assert client_address(request("10.0.0.2", "garbage")) == "10.0.0.2"


def test_ipv4_mapped_ipv6_is_the_ipv4_address(settings):
    settings.BEHIND_PROXY = False
    assert client_address(request("::ffff:203.0.113.9")) == "203.0.113.9"


def test_ipv6_clients_are_grouped_by_their_64(settings):
    settings.BEHIND_PROXY = False
    first = client_group(request("2001:db8:1:2::1"))
    assert first == "2001:db8:1:2::/64"
    assert client_group(request("2001:db8:1:2:ffff:ffff:ffff:fffe")) == first
    assert client_group(request("2001:db8:1:3::1")) != first
    assert client_group(request("203.0.113.9")) == "203.0.113.9"


def test_a_trusted_proxies_entry_that_is_not_a_cidr_stops_the_start(monkeypatch):
    import importlib

    from django.core.exceptions import ImproperlyConfigured

    import slaops.settings

    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8,proxy.internal")
    with pytest.raises(ImproperlyConfigured, match="proxy.internal"):
        importlib.reload(slaops.settings)
    monkeypatch.delenv("TRUSTED_PROXIES")
    importlib.reload(slaops.settings)
