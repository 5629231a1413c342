"""Connections to a mailbox's own IMAP and SMTP servers, under the same destination rule as
alert channels (slaops/outbound.py): the host is resolved, every address checked (no loopback,
private, link-local or metadata address unless SLA_ALLOW_PRIVATE_DESTINATIONS), and the socket
goes to a checked address while TLS is verified against the host name. A manager types these
hosts, so they must not become a way to reach inside the server's network.

Failures come out as MailServerError with a sentence a manager can act on.
"""

import contextlib
import imaplib
import smtplib
import socket
import ssl

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend
from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError, MailboxLoginError

from mail.models import Mailbox, Security
from slaops.outbound import DestinationNotAllowed, Unreachable, checked_addresses, refusal_words


class MailServerError(Exception):
    """A mail server could not be used; the message says what failed in plain words.
    `permanent`: retrying will not help until someone changes something (a refused address)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def connect(host: str, port: int, timeout: float) -> socket.socket:
    last: OSError | None = None
    for address in checked_addresses(host, port):
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as error:
            last = error  # nothing was said yet: try the host's next address
    raise last or OSError(f"no address for {host}")


# ------------------------------------------------------------------------------------ IMAP


class _IMAP4(imaplib.IMAP4):
    def _create_socket(self, timeout):
        return connect(self.host, self.port, timeout)


class _IMAP4SSL(imaplib.IMAP4_SSL):
    def _create_socket(self, timeout):
        sock = connect(self.host, self.port, timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)


class _SslBox(MailBox):
    def _get_mailbox_client(self):
        return _IMAP4SSL(
            self._host, self._port, ssl_context=self._ssl_context, timeout=self._timeout
        )


class _PlainBox(MailBoxUnencrypted):
    def _get_mailbox_client(self):
        return _IMAP4(self._host, self._port, timeout=self._timeout)


class _StartTlsBox(MailBoxStartTls):
    def _get_mailbox_client(self):
        client = _IMAP4(self._host, self._port, timeout=self._timeout)
        client.starttls(self._ssl_context)
        return client


def tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def imap_open(mailbox: Mailbox):
    """A logged-in imap-tools MailBox on the mailbox's folder (use it in a `with` block)."""
    kwargs = {
        "host": mailbox.imap_host,
        "port": mailbox.imap_port,
        "timeout": settings.MAIL_TIMEOUT,
    }
    kinds = {Security.SSL: _SslBox, Security.STARTTLS: _StartTlsBox}
    kind = kinds.get(mailbox.imap_security, _PlainBox)
    if kind is not _PlainBox:
        kwargs["ssl_context"] = tls_context()
    where = f"{mailbox.imap_host}:{mailbox.imap_port}"
    try:
        box = kind(**kwargs)  # connects
    except Exception as error:
        raise _described("IMAP", where, error) from None
    try:
        box.login(mailbox.imap_user, mailbox.imap_password, initial_folder=None)
    except MailboxLoginError:
        _quietly_close(box)
        raise MailServerError(
            f"The IMAP server {where} refused the user name or password.", permanent=True
        ) from None
    except Exception as error:
        _quietly_close(box)
        raise _described("IMAP", where, error) from None
    try:
        box.folder.set(mailbox.imap_folder)
    except ImapToolsError:
        _quietly_close(box)
        raise MailServerError(
            f"The IMAP server {where} has no folder “{mailbox.imap_folder}”.", permanent=True
        ) from None
    return box


def _quietly_close(box) -> None:
    with contextlib.suppress(Exception):  # closing what failed: nothing left to report
        box.client.shutdown()


def _described(protocol: str, where: str, error: Exception) -> MailServerError:
    # Only the host as typed and a plain reason: the addresses a name resolves to are the
    # server's network, not the manager's business.
    if isinstance(error, DestinationNotAllowed):
        # slaops.outbound names the kind of address a name resolves to, never the address.
        said = refusal_words(str(error)).removeprefix("Destination not allowed: ")
        return MailServerError(f"{protocol} server {where}: not allowed, {said}", permanent=True)
    if isinstance(error, Unreachable):
        return MailServerError(f"{protocol} server {where}: the host name does not resolve.")
    if isinstance(error, ssl.SSLCertVerificationError):
        return MailServerError(
            f"The {protocol} server {where} has a TLS certificate we cannot trust "
            f"({error.verify_message}).",
            permanent=True,
        )
    if isinstance(error, ssl.SSLError):
        return MailServerError(
            f"TLS with the {protocol} server {where} failed ({error.reason or error}): "
            "check the port and the security setting."
        )
    if isinstance(error, ConnectionRefusedError):
        return MailServerError(f"Nothing answers at {where}: check the host and port.")
    if isinstance(error, TimeoutError | socket.timeout):
        return MailServerError(f"The {protocol} server {where} did not answer in time.")
    # smtplib's errors are OSErrors too: what the server said comes before the network's words.
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return MailServerError(
            f"The SMTP server {where} refused the user name or password.", permanent=True
        )
    if isinstance(error, smtplib.SMTPException | imaplib.IMAP4.error | ImapToolsError):
        return MailServerError(f"The {protocol} server {where} said: {error}")
    if isinstance(error, OSError):
        reason = error.strerror or "the connection failed"
        return MailServerError(f"Cannot reach the {protocol} server {where}: {reason}.")
    return MailServerError(f"{protocol} server {where}: {type(error).__name__}: {error}")


# ------------------------------------------------------------------------------------ SMTP


class _SMTP(smtplib.SMTP):
    def _get_socket(self, host, port, timeout):
        return connect(host, port, timeout)


class _SMTPSSL(smtplib.SMTP_SSL):
    def _get_socket(self, host, port, timeout):
        sock = connect(host, port, timeout)
        return self.context.wrap_socket(sock, server_hostname=self._host)


class PinnedSmtpBackend(EmailBackend):
    """Django's SMTP backend, connecting only to allowed addresses."""

    @property
    def connection_class(self):
        return _SMTPSSL if self.use_ssl else _SMTP


def smtp_connection(mailbox: Mailbox):
    """A Django mail connection for the mailbox: its own SMTP server, or EMAIL_URL's."""
    from django.core.mail import get_connection

    if not mailbox.smtp_host:
        return get_connection(timeout=settings.EMAIL_TIMEOUT)
    return PinnedSmtpBackend(
        host=mailbox.smtp_host,
        port=mailbox.smtp_port,
        username=mailbox.smtp_user or None,
        password=mailbox.smtp_password or None,
        use_tls=mailbox.smtp_security == Security.STARTTLS,
        use_ssl=mailbox.smtp_security == Security.SSL,
        timeout=settings.MAIL_TIMEOUT,
        fail_silently=False,
    )


def smtp_problem(mailbox: Mailbox, error: Exception) -> MailServerError:
    where = (
        f"{mailbox.smtp_host}:{mailbox.smtp_port}" if mailbox.smtp_host else "EMAIL_URL's server"
    )
    return _described("SMTP", where, error)


def connection_report(mailbox: Mailbox) -> list[tuple[bool, str]]:
    """(ok, what happened) for reading and for sending, in a manager's words."""
    results = []
    if mailbox.imap_host:
        try:
            with imap_open(mailbox) as box:
                waiting = len(box.uids("UNSEEN"))
            results.append(
                (True, f"IMAP: signed in, folder “{mailbox.imap_folder}” has {waiting} unread.")
            )
        except MailServerError as error:
            results.append((False, f"IMAP: {error}"))
        except Exception as error:
            results.append((False, f"IMAP: {_described('IMAP', mailbox.imap_host, error)}"))
    else:
        results.append((True, "IMAP: none (mail arrives by a provider's webhook)."))
    if mailbox.smtp_host:
        try:
            results.append((True, f"SMTP: {smtp_check(mailbox)}."))
        except MailServerError as error:
            results.append((False, f"SMTP: {error}"))
    else:
        results.append((True, "SMTP: replies go through the server's mail settings (EMAIL_URL)."))
    return results


def smtp_check(mailbox: Mailbox) -> str:
    """Talk to the mailbox's SMTP server as sending will, and stop before any mail: connect
    (through the destination rule, with MAIL_TIMEOUT), EHLO, STARTTLS and EHLO again when the
    mailbox says so, sign in when a user and password are saved, QUIT. Returns what was done in
    words; raises MailServerError naming the step that failed."""
    host, port = mailbox.smtp_host, mailbox.smtp_port
    where = f"{host}:{port}"
    timeout = settings.MAIL_TIMEOUT
    try:
        if mailbox.smtp_security == Security.SSL:
            client = _SMTPSSL(host, port, timeout=timeout, context=tls_context())
        else:
            client = _SMTP(host, port, timeout=timeout)
    except Exception as error:
        raise _smtp_said(where, error) from None
    done = ["connected"]
    try:
        _ehlo(client, where)
        done.append("EHLO answered")
        if mailbox.smtp_security == Security.STARTTLS:
            if not client.has_extn("starttls"):
                raise MailServerError(
                    f"The SMTP server {where} does not offer STARTTLS: check the port and the "
                    "security setting.",
                    permanent=True,
                )
            client.starttls(context=tls_context())
            _ehlo(client, where)
            done.append("STARTTLS")
        if mailbox.smtp_user and mailbox.smtp_password:
            client.login(mailbox.smtp_user, mailbox.smtp_password)
            done.append(f"signed in as {mailbox.smtp_user}")
        else:
            # Nothing to sign in with (a password removed because the server changed): say so
            # rather than "signed in", which would hide why a relay refuses mail.
            done.append("not signed in (no user and password saved)")
        with contextlib.suppress(smtplib.SMTPException, OSError):
            client.quit()  # all was checked; a server that hangs up first changes nothing
    except MailServerError:
        _quietly_quit(client)
        raise
    except Exception as error:
        _quietly_quit(client)
        raise _smtp_said(where, error) from None
    return ", ".join(done)


def _ehlo(client: smtplib.SMTP, where: str) -> None:
    code, said = client.ehlo()
    if code != 250:
        text = said.decode(errors="replace") if isinstance(said, bytes) else str(said)
        raise MailServerError(f"The SMTP server {where} refused EHLO: {code} {text[:200]}")


def _quietly_quit(client: smtplib.SMTP) -> None:
    with contextlib.suppress(Exception):  # closing what failed: nothing left to report
        client.close()


def _smtp_said(where: str, error: Exception) -> MailServerError:
    """SMTP's own answers first: smtplib's errors are OSErrors, which would read as a network
    failure in _described."""
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return MailServerError(
            f"The SMTP server {where} refused the user name or password.", permanent=True
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return MailServerError(
            f"The SMTP server {where} does not offer signing in (AUTH) here: check the "
            "security setting (most servers offer it only after STARTTLS).",
            permanent=True,
        )
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error
        text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        return MailServerError(f"The SMTP server {where} said: {error.smtp_code} {text[:200]}")
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return MailServerError(f"The SMTP server {where} closed the connection.")
    return _described("SMTP", where, error)
