"""A saved mailbox password goes only to the server it was saved for: a manager who changes the
host (or port, user, security) and leaves the password box empty, then presses "Test connection",
sends nothing secret to the new host."""

import socketserver
import threading

import pytest

from mail.models import Mailbox
from tests.mail.test_admin_and_command import form

pytestmark = pytest.mark.django_db
PASSWORD = "imap-password-123"


class Listener(socketserver.StreamRequestHandler):
    """An attacker's "IMAP server": greets, records every line it is sent, refuses the login."""

    def handle(self):
        self.wfile.write(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n")
        for _ in range(20):
            line = self.rfile.readline()
            if not line:
                return
            self.server.heard.append(line)
            tag = line.split(b" ", 1)[0]
            if b"CAPABILITY" in line.upper():
                self.wfile.write(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n")
            elif b"LOGOUT" in line.upper():
                self.wfile.write(b"* BYE\r\n" + tag + b" OK bye\r\n")
                return
            else:
                self.wfile.write(tag + b" NO [AUTHENTICATIONFAILED] no\r\n")


@pytest.fixture
def attacker():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Listener)
    server.daemon_threads = True
    server.heard = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def mailbox(manager_client):
    manager_client.post("/admin/mail/mailbox/add/", form(imap_password=PASSWORD))
    return Mailbox.objects.get()


def moved_to(server, **fields):
    return form(
        imap_host="127.0.0.1",
        imap_port=str(server.server_address[1]),
        imap_security="none",
        imap_password="",
        **fields,
    )


def test_a_moved_mailbox_sends_no_saved_password_to_its_new_host(manager_client, mailbox, attacker):
    page = f"/admin/mail/mailbox/{mailbox.pk}/change/"
    response = manager_client.post(page, {**moved_to(attacker), "_test_connection": "1"})
    assert response.status_code == 200
    assert PASSWORD.encode() not in b"".join(attacker.heard)
    assert "was not used because the IMAP host changed" in response.content.decode()
    mailbox.refresh_from_db()
    assert mailbox.imap_host == "imap.example.net"  # a test saves nothing


def test_saving_a_new_host_without_the_password_removes_it(manager_client, mailbox, attacker):
    page = f"/admin/mail/mailbox/{mailbox.pk}/change/"
    response = manager_client.post(page, moved_to(attacker), follow=True)
    assert "The saved IMAP password was removed because the IMAP host changed" in (
        response.content.decode()
    )
    mailbox.refresh_from_db()
    assert (mailbox.imap_host, mailbox.imap_password) == ("127.0.0.1", "")
    # The list's action then tries the new host without any password.
    manager_client.post(
        "/admin/mail/mailbox/",
        {"action": "check_connection", "_selected_action": [mailbox.pk]},
    )
    assert PASSWORD.encode() not in b"".join(attacker.heard)


@pytest.mark.parametrize(
    "change",
    [{"imap_port": "143"}, {"imap_user": "someone-else"}, {"imap_security": "none"}],
)
def test_any_change_of_where_the_password_goes_removes_it(manager_client, mailbox, change):
    page = f"/admin/mail/mailbox/{mailbox.pk}/change/"
    manager_client.post(page, form(imap_password="", **change))
    mailbox.refresh_from_db()
    assert mailbox.imap_password == ""


def test_a_password_typed_again_with_the_new_host_is_kept(manager_client, mailbox):
    page = f"/admin/mail/mailbox/{mailbox.pk}/change/"
    manager_client.post(page, form(imap_host="imap2.example.net", imap_password="new-one-456"))
    mailbox.refresh_from_db()
    assert (mailbox.imap_host, mailbox.imap_password) == ("imap2.example.net", "new-one-456")


def test_other_changes_keep_the_saved_password(manager_client, mailbox):
    page = f"/admin/mail/mailbox/{mailbox.pk}/change/"
    manager_client.post(
        page, form(imap_password="", name="Help desk", smtp_host="smtp.example.net")
    )
    mailbox.refresh_from_db()
    assert (mailbox.name, mailbox.imap_password) == ("Help desk", PASSWORD)


def test_testing_the_unsaved_form_uses_a_password_typed_there(manager_client, mailbox, attacker):
    # The manager's own new server, with the password typed: that is what they asked to try.
    page = f"/admin/mail/mailbox/{mailbox.pk}/change/"
    data = {**moved_to(attacker), "imap_password": "typed-now-789", "_test_connection": "1"}
    response = manager_client.post(page, data)
    assert response.status_code == 200
    assert b"typed-now-789" in b"".join(attacker.heard)
    assert "typed-now-789" not in response.content.decode()  # never echoed into the page


def test_the_smtp_test_says_it_did_not_sign_in_once_the_password_was_removed(db):
    from mail.connections import connection_report
    from tests.threads.servers import smtp_server

    with smtp_server() as server:
        mailbox = Mailbox.objects.create(
            name="Support",
            address="support@acme.example",
            smtp_host=server.host,
            smtp_port=server.port,
            smtp_security="none",
            smtp_user="support",
        )
        [_, (ok, said)] = connection_report(mailbox)
    assert ok
    assert said == "SMTP: connected, EHLO answered, not signed in (no user and password saved)."
