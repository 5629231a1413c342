"""The mailbox's "Test connection" really talks to the SMTP server, as sending will: connect
through the destination rule, EHLO, STARTTLS when the mailbox says so, sign in with a saved user
and password, and says which step failed; on the change page's button as in the list action."""

import socket
import threading
from contextlib import contextmanager

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from mail.connections import connection_report
from mail.models import Mailbox
from tests.threads.servers import free_port

pytestmark = [pytest.mark.django_db]


@contextmanager
def scripted_smtp(ehlo_answer: bytes):
    """A server that greets, then answers EHLO with `ehlo_answer` (and QUIT with 221)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    heard: list[bytes] = []

    def serve():
        with listener:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"220 mail.example ESMTP\r\n")
                for line in conn.makefile("rb"):
                    heard.append(line)
                    if line.upper().startswith((b"EHLO", b"HELO")):
                        conn.sendall(ehlo_answer)
                    elif line.upper().startswith(b"QUIT"):
                        conn.sendall(b"221 bye\r\n")
                        return
                    else:
                        conn.sendall(b"502 not here\r\n")

    worker = threading.Thread(target=serve, daemon=True)
    worker.start()
    try:
        yield listener.getsockname()[1], heard
    finally:
        listener.close()
        worker.join(timeout=5)


def mailbox(port: int, **fields) -> Mailbox:
    values = {
        "name": "Support",
        "address": "support@acme.example",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        **fields,
    }
    return Mailbox.objects.create(**values)


def smtp_line(box: Mailbox) -> tuple[bool, str]:
    return connection_report(box)[1]


def test_a_server_that_refuses_ehlo_fails_the_test(settings):
    settings.MAIL_TIMEOUT = 5
    with scripted_smtp(b"554 no service here\r\n") as (port, heard):
        ok, said = smtp_line(mailbox(port))
    assert not ok
    assert said == f"SMTP: The SMTP server 127.0.0.1:{port} refused EHLO: 554 no service here"
    assert heard and heard[0].upper().startswith(b"EHLO")


def test_starttls_asked_for_but_not_offered_is_named(settings):
    settings.MAIL_TIMEOUT = 5
    with scripted_smtp(b"250-mail.example\r\n250 8BITMIME\r\n") as (port, _):
        ok, said = smtp_line(mailbox(port, smtp_security="starttls"))
    assert not ok and "does not offer STARTTLS" in said


class Accept:
    def __call__(self, server, session, envelope, mechanism, auth_data):
        good = auth_data.login == b"support" and auth_data.password == b"right-one"
        return AuthResult(success=good, handled=False)  # the server answers 535 itself


@contextmanager
def auth_smtp():
    port = free_port()
    controller = Controller(
        object(),
        hostname="127.0.0.1",
        port=port,
        authenticator=Accept(),
        auth_require_tls=False,
        auth_exclude_mechanism=["LOGIN"],  # one mechanism: a refusal is answered, not a hang-up
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def test_a_saved_user_and_password_are_really_tried(settings):
    settings.MAIL_TIMEOUT = 5
    with auth_smtp() as port:
        good = mailbox(port, smtp_user="support", smtp_password="right-one")
        bad = mailbox(
            port,
            name="Other",
            address="other@acme.example",
            smtp_user="support",
            smtp_password="wrong",
        )
        assert smtp_line(good) == (
            True,
            "SMTP: connected, EHLO answered, signed in as support.",
        )
        ok, said = smtp_line(bad)
    assert not ok and said.endswith("refused the user name or password.")


def test_the_smtp_test_goes_through_the_destination_rule(settings):
    settings.SLA_ALLOW_PRIVATE_DESTINATIONS = False
    ok, said = smtp_line(mailbox(free_port()))
    assert not ok and "not allowed" in said and "loopback" in said


def test_the_change_pages_button_tests_smtp_too(settings, manager_client):
    settings.MAIL_TIMEOUT = 5
    with scripted_smtp(b"554 no service here\r\n") as (port, _):
        box = mailbox(port)
        page = f"/admin/mail/mailbox/{box.pk}/change/"
        form = {
            "name": box.name,
            "address": box.address,
            "active": "on",
            "priority": "normal",
            "imap_port": 993,
            "imap_security": "ssl",
            "imap_folder": "INBOX",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_security": "none",
            "_test_connection": "1",
        }
        html = manager_client.post(page, form).content.decode()
    assert "refused EHLO: 554 no service here" in html
