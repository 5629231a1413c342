"""E-mail alerts: rendered from templates/alerts/ and sent through Django's mail connection.

Header values are one line: a subject or a name with a line break in it (a thread's subject comes
from a customer) is sent with the break as a space, never as a second header."""

import smtplib
from email.utils import formataddr
from urllib.parse import urlparse

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from policies.models import AlertChannel
from threads.alerting.transports.base import (
    Alert,
    PermanentError,
    Result,
    TransientError,
    Transport,
)
from threads.models import Delivery


def one_line(value: str) -> str:
    """A header value without line breaks (CR, LF and the other line separators) or runs of
    white space."""
    return " ".join(str(value).split())


def address(value: str) -> str:
    """An address header entry with its display name on one line and quoted as needed: the
    address is what is inside the last <…>, everything before it is the name."""
    name, bracket, mail = one_line(value).rpartition("<")
    if not bracket or not mail.endswith(">"):
        return one_line(value)
    return formataddr((name.strip().strip('"'), mail[:-1].strip()))


def render(alert: Alert) -> tuple[str, str, str]:
    """(subject, text body, HTML body) of an alert."""
    context = {"alert": alert}
    subject = one_line(render_to_string("alerts/subject.txt", context))
    return (
        subject,
        render_to_string("alerts/body.txt", context),
        render_to_string("alerts/body.html", context),
    )


def message_id(delivery: Delivery) -> str:
    # The delivery's UUID: the same on every retry (and on a repeat after a crash) lets mail
    # clients fold a repeated alert into one; unique across installations and resets.
    domain = urlparse(settings.SITE_URL).hostname or "slaops"
    return f"<sla-delivery-{delivery.uid}@{domain}>"


class EmailTransport(Transport):
    def recipients(self, channel: AlertChannel) -> list[str]:
        # Lower case, as people's own addresses: one e-mail per address whoever asked for it.
        return [address.lower() for address in channel.address_list()]

    def send(self, delivery: Delivery, alert: Alert) -> Result:
        subject, text, html = render(alert)
        headers = {"X-SLA-Event": alert.event_kind, "Message-ID": message_id(delivery)}
        # A stuck mail server must not hold a worker for long.
        connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
        recipient = delivery.recipient
        if "\n" in recipient or "\r" in recipient:
            raise PermanentError(f"Not an e-mail address: {one_line(recipient)}")
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=address(settings.DEFAULT_FROM_EMAIL),
            to=[recipient],
            headers=headers,
            connection=connection,
        )
        message.attach_alternative(html, "text/html")
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as error:
            code, reason = next(iter(error.recipients.values()), (None, b""))
            raise _classified(code, f"Recipient refused: {code} {_text(reason)}") from error
        except smtplib.SMTPResponseException as error:
            # 5xx on the message itself (e.g. rejected content) cannot pass on a retry; a 5xx
            # on login or the sender is configuration, which an operator fixes, so retry those.
            if isinstance(error, smtplib.SMTPDataError):
                raise _classified(
                    error.smtp_code, f"Message refused: {error.smtp_code} {_text(error.smtp_error)}"
                ) from error
            raise TransientError(
                f"Mail server said {error.smtp_code} {_text(error.smtp_error)}", error.smtp_code
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            raise TransientError(f"Mail server unreachable: {error}") from error
        return Result(250)


def _classified(code: int | None, message: str) -> Exception:
    if code is not None and 500 <= code < 600:
        return PermanentError(message, code)
    return TransientError(message, code)


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
