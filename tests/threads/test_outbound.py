"""Alerts go only where they should: the outbound gate refuses internal destinations (SSRF)
before any connection, dials the address it checked, follows no redirect and shows nobody the
body of an answer. Traffic goes only to 127.0.0.1; other addresses are refused before a socket
is opened, or come from the gate's own resolver, replaced here."""

import ipaddress
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from policies.models import AlertChannel
from slaops import outbound
from tests.threads.servers import http_server
from tests.threads.test_delivery import breach, configure, delivery, run
from threads.alerting.delivery import send_test_alert

pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    with http_server() as server:
        yield server


@pytest.fixture
def guarded(settings):
    """The production rules: no private destinations, plain http to no host."""
    settings.SLA_ALLOW_PRIVATE_DESTINATIONS = False
    settings.SLA_HTTP_ALLOWED_HOSTS = []
    return settings


@pytest.fixture
def no_sockets(monkeypatch):
    """Fails the test if anything tries to connect anywhere."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a connection was attempted: {args}")

    monkeypatch.setattr("urllib3.util.connection.create_connection", refuse)
    monkeypatch.setattr("socket.create_connection", refuse)


def hook(url, kind="webhook", name="Partner hook"):
    return AlertChannel.objects.create(name=name, kind=kind, url=url, secret="whsec_dGVzdA==")


def test_a_channel_at_a_live_local_server_is_refused_and_the_server_gets_nothing(web, settings):
    settings.SLA_ALLOW_PRIVATE_DESTINATIONS = False  # http to 127.0.0.1 is still allowed
    channel = hook(web.script("/admin-panel", ["200 internal data"]))

    [result] = send_test_alert(channel=channel)

    assert not result.ok
    assert result.message == "destination not allowed: 127.0.0.1 is a loopback address"
    assert result.would_disable  # a real alert would disable it; the test leaves it enabled
    assert web.requests == []
    channel.refresh_from_db()
    assert channel.enabled and not channel.disabled_reason


def test_an_alert_to_a_refused_destination_is_dead_with_the_reason_in_the_log(web, settings):
    settings.SLA_ALLOW_PRIVATE_DESTINATIONS = False
    configure(channels=[hook(web.script("/hook", ["200"]))])
    breach()

    assert run().dead == 1

    row = delivery()
    assert row.last_error == "destination not allowed: 127.0.0.1 is a loopback address"
    assert row.attempts == 1 and web.requests == []


def test_a_private_address_is_refused_without_any_connection(guarded, no_sockets):
    [result] = send_test_alert(channel=hook("https://10.0.0.1/hook"))
    assert result.message == "destination not allowed: 10.0.0.1 is a private address"


def test_the_cloud_metadata_address_is_refused(guarded, no_sockets):
    channel = hook("https://169.254.169.254/latest/meta-data/iam/security-credentials/")
    [result] = send_test_alert(channel=channel)
    assert result.message == "destination not allowed: 169.254.169.254 is a cloud metadata address"


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "127.1", "017700000001"])
def test_loopback_written_another_way_is_refused(guarded, no_sockets, host):
    # The system resolver reads these as 127.0.0.1 without asking any DNS server.
    [result] = send_test_alert(channel=hook(f"https://{host}/hook"))
    assert result.message == f"destination not allowed: {host} resolves to a loopback address"


def test_a_name_that_resolves_inside_is_refused(guarded, no_sockets, monkeypatch):
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["93.184.215.14", "10.0.0.5"])
    [result] = send_test_alert(channel=hook("https://partner.example.com/hook"))
    # One inside address is enough: the resolver's order must not decide. The message names
    # the kind of address, never the address: a manager must not map the inside network.
    assert result.message == (
        "destination not allowed: partner.example.com resolves to a private address"
    )
    assert "10.0.0.5" not in result.message


def test_a_slack_channel_pointing_elsewhere_is_refused_when_sending(guarded, no_sockets):
    # Written without the admin's validation (an import, a shell): the send checks again.
    channel = hook("https://evil.example.com/services/T/B/X", kind="slack", name="Team Slack")
    [result] = send_test_alert(channel=channel)
    assert result.message.startswith("destination not allowed: a Slack incoming webhook")


def test_plain_http_is_refused_when_sending(guarded, no_sockets):
    [result] = send_test_alert(channel=hook("http://partner.example.com/hook"))
    assert result.message.startswith("destination not allowed: use https")


def test_the_request_goes_to_the_address_that_was_checked(web, settings, monkeypatch):
    """DNS rebinding: the name is resolved once, by the gate, and the socket goes to that
    address. "rebind.invalid" resolves nowhere else, so the request arriving proves the HTTP
    library never looked the name up again."""
    settings.SLA_HTTP_ALLOWED_HOSTS = ["rebind.invalid"]
    lookups = []

    def resolve(host, port):
        lookups.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(outbound, "resolve", resolve)
    web.script("/hook", ["200"])
    channel = hook(f"http://rebind.invalid:{web.port}/hook")

    [result] = send_test_alert(channel=channel)

    assert result.ok, result.message
    assert lookups == ["rebind.invalid"]
    [request] = web.to("/hook")
    assert request.headers["host"] == f"rebind.invalid:{web.port}"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A test CA and a certificate it signed for "pinned.test" (made with the openssl tool)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    folder = tmp_path_factory.mktemp("tls")

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl(
        *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Test CA"),
        *("-keyout", "ca.key", "-out", "ca.pem", "-addext", "basicConstraints=critical,CA:TRUE"),
        *("-addext", "keyUsage=critical,keyCertSign"),
    )
    openssl(
        *("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=pinned.test"),
        *("-keyout", "server.key", "-out", "server.csr"),
    )
    (folder / "ext").write_text("subjectAltName=DNS:pinned.test\n")
    openssl(
        *("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key"),
        *("-CAcreateserial", "-days", "2", "-extfile", "ext", "-out", "server.pem"),
    )
    return folder


@pytest.fixture
def tls_server(certificates, monkeypatch):
    """An https server on 127.0.0.1 whose certificate names pinned.test, trusted as if public."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(self.headers.get("Host"))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates / "server.pem", certificates / "server.key")
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    runner = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    runner.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates / "ca.pem"))
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["127.0.0.1"])
    try:
        yield httpd.server_address[1], received
    finally:
        httpd.shutdown()
        httpd.server_close()
        runner.join(timeout=5)


def test_https_to_the_checked_address_is_verified_against_the_name(tls_server):
    port, received = tls_server

    [result] = send_test_alert(channel=hook(f"https://pinned.test:{port}/hook"))

    assert result.ok, result.message
    assert received == [f"pinned.test:{port}"]


def test_a_certificate_for_another_name_is_refused(tls_server):
    port, received = tls_server

    [result] = send_test_alert(channel=hook(f"https://other.test:{port}/hook"))

    assert not result.ok and "TLS failed" in result.message
    assert received == []


def test_a_redirect_is_not_followed(web):
    web.script("/inside", ["200"])
    channel = hook(web.script("/hook", ["302:Location=/inside"]))

    [result] = send_test_alert(channel=channel)

    assert result.message == "Endpoint answered 302 Found (redirects are not followed)"
    assert web.to("/inside") == []


def test_a_test_alert_shows_the_status_and_reason_never_the_answer(manager_client, web):
    leaky = hook(web.script("/hook", ["500 db_password=hunter2"]))
    slack = hook(web.script("/slack", ["403 token=xoxb-leak"]), kind="slack", name="Team Slack")

    response = manager_client.post(
        reverse("admin:policies_alertchannel_changelist"),
        {"action": "send_test_alert", "_selected_action": [leaky.pk, slack.pk]},
        follow=True,
    )

    shown = [str(m) for m in response.context["messages"]]
    # In plain words (threads.alerting.wording), naming the code but never the answer's body.
    assert (
        "Partner hook: test alert failed: 127.0.0.1 had a problem on its side (it answered 500)"
        in shown
    )
    assert "Team Slack: test alert failed: 127.0.0.1 refused the credentials" in shown
    page = response.content.decode()
    assert "hunter2" not in page and "xoxb-leak" not in page


def test_the_delivery_log_keeps_no_answer_body(web):
    configure(channels=[hook(web.script("/hook", ["503 stack trace with secrets"]))])
    breach()

    run()

    row = delivery()
    assert row.last_error == "Endpoint answered 503 Service Unavailable"
    assert [a.error for a in row.log.all()] == ["Endpoint answered 503 Service Unavailable"]


# ------------------------------------------------------------------------- at save time


def saved(url, kind="webhook"):
    channel = AlertChannel(name="X", kind=kind, url=url)
    channel.full_clean()
    return channel


def test_plain_http_to_a_host_not_allowed_is_refused_at_save(guarded):
    with pytest.raises(ValidationError) as refused:
        saved("http://partner.example.com/hook")
    assert "use https" in refused.value.message_dict["url"][0]


def test_https_to_a_public_name_passes_validation_without_any_connection(guarded, no_sockets):
    saved("https://partner.example.com/hook")
    saved("https://hooks.slack.com/services/T000/B000/XXXX", kind="slack")


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/services/T000/B000/XXXX",
        "https://hooks.slack.com.evil.example/services/T/B/X",
        "https://hooks.slack.com@evil.example/services/T/B/X",
        "http://hooks.slack.com/services/T/B/X",
    ],
)
def test_a_slack_channel_must_be_a_slack_webhook(guarded, url):
    with pytest.raises(ValidationError):
        saved(url, kind="slack")


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3:8080/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/",
        "https://user:pw@partner.example.com/hook",
    ],
)
def test_an_internal_address_is_refused_at_save(guarded, no_sockets, url):
    with pytest.raises(ValidationError) as refused:
        saved(url)
    assert refused.value.message_dict["url"][0].startswith("Destination not allowed")


def test_the_admin_names_the_rule_when_a_url_is_refused(manager_client, guarded):
    response = manager_client.post(
        reverse("admin:policies_alertchannel_add"),
        {"name": "Intranet", "kind": "webhook", "url": "http://intranet.example/hook"},
    )
    assert response.status_code == 200
    assert "Destination not allowed: use https" in response.content.decode()
    assert not AlertChannel.objects.exists()


# ------------------------------------------------------------------------ the address rule


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("0.0.0.0", "an unspecified address"),
        ("10.0.0.5", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("169.254.10.1", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("fc00::1", "a unique-local address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("100.64.0.1", "a shared (carrier-grade NAT) address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("100.100.100.200", "a cloud metadata address"),
        ("::ffff:127.0.0.1", "a loopback address (inside ::ffff:7f00:1)"),
        ("64:ff9b::a00:5", "a private address (inside 64:ff9b::a00:5)"),
        ("2002:a9fe:a9fe::", "a cloud metadata address (inside 2002:a9fe:a9fe::)"),
    ],
)
def test_internal_addresses_are_named_for_what_they_are(address, kind):
    assert outbound.address_problem(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", ["8.8.8.8", "203.0.114.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert outbound.address_problem(ipaddress.ip_address(address)) == ""
