"""A manager adds a mailbox and tests it in the admin (passwords never shown back); raw .eml
files go through `manage.py ingest_email`."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from mail.models import InboundEmail, Mailbox
from tests.mail.conftest import MONDAY, at, mail
from threads.models import Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]
ADD = "/admin/mail/mailbox/add/"


def form(**fields):
    data = {
        "name": "Support",
        "address": "Support@Example.NET",
        "active": "on",
        "priority": "normal",
        "imap_host": "imap.example.net",
        "imap_port": "993",
        "imap_security": "ssl",
        "imap_user": "support",
        "imap_password": "imap-password-123",
        "imap_folder": "INBOX",
        "smtp_host": "",
        "smtp_port": "587",
        "smtp_security": "starttls",
        "smtp_user": "",
        "smtp_password": "",
    }
    data.update(fields)
    return data


def test_a_manager_adds_a_mailbox_and_its_password_is_never_shown_back(manager_client):
    response = manager_client.post(ADD, form())
    assert response.status_code == 302, response.content.decode()[:2000]
    mailbox = Mailbox.objects.get()
    assert mailbox.address == "support@example.net"
    assert mailbox.imap_password == "imap-password-123"
    page = manager_client.get(f"/admin/mail/mailbox/{mailbox.pk}/change/").content.decode()
    assert "imap-password-123" not in page
    assert "••••-123" in page  # a hint only


def test_saving_again_with_the_password_box_empty_keeps_the_password(manager_client):
    manager_client.post(ADD, form())
    mailbox = Mailbox.objects.get()
    response = manager_client.post(
        f"/admin/mail/mailbox/{mailbox.pk}/change/", form(imap_password="", name="Help desk")
    )
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.name, mailbox.imap_password) == ("Help desk", "imap-password-123")


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"imap_host": "169.254.169.254"}, "cloud metadata address"),
        ({"imap_host": "imap.example.net/x"}, "Only a host name"),
        ({"imap_user": ""}, "needs its user name"),
        ({"address": "not-an-address"}, "valid email"),
    ],
)
def test_a_mailbox_that_cannot_work_is_refused_naming_what(manager_client, settings, fields, said):
    settings.SLA_ALLOW_PRIVATE_DESTINATIONS = False
    response = manager_client.post(ADD, form(**fields))
    assert response.status_code == 200 and said in response.content.decode()
    assert not Mailbox.objects.exists()


def test_test_connection_says_in_plain_words_what_failed(manager_client):
    from tests.threads.servers import free_port

    mailbox = Mailbox.objects.create(
        name="Support",
        address="support@example.net",
        imap_host="127.0.0.1",
        imap_port=free_port(),
        imap_security="none",
        imap_user="x",
    )
    response = manager_client.post(
        "/admin/mail/mailbox/",
        {"action": "check_connection", "_selected_action": [mailbox.pk]},
        follow=True,
    )
    assert re.search(
        r"Support: IMAP: Nothing answers at 127\.0\.0\.1:\d+", response.content.decode()
    )


def ingest(*files, **options):
    out, err = StringIO(), StringIO()
    with at(MONDAY):
        call_command("ingest_email", *files, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_ingest_email_feeds_files_through_the_mailbox_path(desk, tmp_path):
    path = tmp_path / "one.eml"
    path.write_bytes(mail())
    out, _ = ingest(str(path), mailbox="support@example.net")
    assert "customer message on thread #" in out
    out, _ = ingest(str(path), mailbox="Support")
    assert "already received" in out
    assert Thread.objects.count() == 1


def test_ingest_email_reports_each_bad_file_and_exits_non_zero(desk, tmp_path):
    good, bad = tmp_path / "good.eml", tmp_path / "bad.eml"
    good.write_bytes(mail())
    bad.write_bytes(b"only words, no headers\r\n")
    err = StringIO()
    with pytest.raises(CommandError, match="2 of 3 files were not taken"), at(MONDAY):
        call_command(
            "ingest_email",
            str(good),
            str(bad),
            str(tmp_path / "missing.eml"),
            stdout=StringIO(),
            stderr=err,
        )
    lines = err.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{bad}: not taken: not an e-mail")
    assert lines[1].startswith(f"{tmp_path / 'missing.eml'}: cannot read")
    assert InboundEmail.objects.count() == 1


def test_ingest_email_needs_to_know_the_mailbox(db, tmp_path):
    with pytest.raises(CommandError, match="Say which mailbox"):
        ingest(str(tmp_path / "x.eml"))
    with pytest.raises(CommandError, match="No mailbox named"):
        ingest(str(tmp_path / "x.eml"), mailbox="nobody@example.net")


def test_the_demo_samples_become_threads(db, settings):
    from pathlib import Path

    samples = sorted(str(p) for p in Path(settings.BASE_DIR, "samples").glob("*.eml"))
    out, _ = ingest(*samples, mailbox="support@slaops.example", create_mailbox=True)
    kinds = dict(InboundEmail.objects.values_list("message_id", "kind"))
    assert kinds["<export-fails-2@mail.acme.de>"] == "customer"
    assert kinds["<ooo-hank-1@globex.com>"] == "auto_reply"
    assert kinds["<bounce-1@mx.slaops.example>"] == "bounce"
    # Anna's follow-up answers her own first mail, and nothing vouches that she sent it (the
    # demo mailbox names no receiving server): a thread of its own, noted as possibly the first.
    assert Thread.objects.count() == 3
    first = InboundEmail.objects.get(message_id="<export-fails-1@mail.acme.de>").thread
    follow_up = InboundEmail.objects.get(message_id="<export-fails-2@mail.acme.de>").thread
    assert follow_up != first
    assert follow_up.messages.filter(body__startswith=f"Possibly about #{first.pk}:").exists()


def test_a_manager_names_the_receiving_server_that_vouches_for_senders(manager_client):
    page = manager_client.get(ADD).content.decode()
    assert "Which thread an e-mail joins" in page
    assert "Microsoft 365" in page and "recipient_delimiter" in page
    response = manager_client.post(
        ADD, form(authserv_id=" MX.Google.com ", microsoft_365="", plus_addressing="on")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    mailbox = Mailbox.objects.get()
    assert (mailbox.authserv_id, mailbox.microsoft_365, mailbox.plus_addressing) == (
        "mx.google.com",
        False,
        True,
    )


def test_a_receiving_server_name_with_a_verdict_in_it_is_refused(manager_client):
    response = manager_client.post(ADD, form(authserv_id="mx.example.net; dmarc=pass"))
    assert response.status_code == 200
    assert "Only the server" in response.content.decode()
    assert not Mailbox.objects.exists()


def test_a_mailbox_on_a_private_address_is_refused_naming_the_setting_that_allows_it(
    manager_client, settings
):
    settings.SLA_ALLOW_PRIVATE_DESTINATIONS = False
    response = manager_client.post(ADD, form(imap_host="10.0.0.5"))
    said = response.content.decode()
    assert "SLA_ALLOW_PRIVATE_DESTINATIONS=true allows such addresses" in said
    assert "SLA_HTTP_ALLOWED_HOSTS does not change this" in said
    assert not Mailbox.objects.exists()


def test_an_smtp_servers_own_refusal_is_quoted_not_called_unreachable():
    import smtplib

    from mail.connections import _described

    said = _described("SMTP", "smtp.example.net:587", smtplib.SMTPSenderRefused(550, b"no", "x"))
    assert "said" in str(said) and "Cannot reach" not in str(said)
