"""Inbound mail from providers (Postmark, Mailgun, SendGrid, Amazon SES) through django-anymail's
inbound webhook views: anymail checks the provider's basic auth and signature; each message then
goes through the same ingest as IMAP, as the raw e-mail the provider forwarded (Postmark's
RawEmail, Mailgun's body-mime) or, without one, as anymail builds it from the parsed fields.

An endpoint whose credentials are not configured answers 404: anymail alone would accept
unauthenticated posts with a warning, and nobody must be able to inject mail that way.

Size: a post larger than its provider's limit (from MAIL_MAX_MESSAGE_BYTES) is a 413 decided on
Content-Length before anything is read; a smaller one is read here, into a file past 1 MiB, not
through Django's in-memory limit (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB, which stays for every
other page). A post anymail cannot read is a 400 naming `body`, never a 500.

Mailgun signs a timestamp and a token, not the body: a post is taken only within
MAIL_MAILGUN_MAX_AGE_SECONDS of its timestamp, and each token once (a table, so it holds across
processes).
"""

import contextlib
import json
import logging
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from email.feedparser import BytesFeedParser
from email.policy import compat32
from email.utils import collapse_rfc2231_value

from anymail.exceptions import AnymailError
from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpResponse, HttpResponseNotFound, QueryDict
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.views.decorators.csrf import csrf_exempt

from mail.ingest import ingest
from mail.matching import mailbox_address
from mail.models import Mailbox, MailgunToken
from mail.parsing import ParseError, parse
from slaops.api_errors import error_response
from slaops.ids import parse_id
from threads.services import ThreadError

log = logging.getLogger(__name__)
MIB = 1024 * 1024
SPOOL_IN_MEMORY = MIB  # a post up to this size is read into memory, a larger one into a file
SES_MAX_BODY = MIB  # an SNS notification carries at most 256 KiB, escaped once more in JSON
# What anymail raises on a payload that is not the provider's shape.
UNREADABLE = (
    AnymailError,
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    IndexError,
    RecursionError,
)


class Refused(Exception):
    """A post we answer with a 4xx naming the field at fault."""

    def __init__(self, status: int, field: str, message: str):
        super().__init__(message)
        self.status, self.field = status, field


@dataclass
class Received:
    """One e-mail a provider handed us."""

    raw: bytes
    envelope_recipient: str | None = None
    dmarc_pass: bool | None = None  # the provider's DMARC verdict, where it sends one


def mailbox_for(recipients: list[str]) -> Mailbox | None:
    # support+238-k7qxa2mbte@… (a reply to the thread's address) is the mailbox support@…
    addresses = [mailbox_address(r) for r in recipients if r]
    if addresses:
        found = Mailbox.objects.filter(active=True, address__in=addresses).first()
        if found is not None:
            return found
    fallback = settings.MAIL_WEBHOOK_DEFAULT_MAILBOX
    if fallback:
        return Mailbox.objects.filter(Q(address__iexact=fallback) | Q(name=fallback)).first()
    return None


def receive(received: Received, *, provider: str) -> str:
    """One provider message into the ingest; what became of it (for the log)."""
    try:
        parsed = parse(received.raw)
    except ParseError as error:
        log.warning("Inbound mail from %s not taken: %s", provider, error)
        return f"not taken: {error}"
    recipients = [received.envelope_recipient or "", *parsed.to]
    mailbox = mailbox_for(recipients)
    if mailbox is None:
        log.warning("Inbound mail from %s for %s: no mailbox has it", provider, recipients)
        return "no mailbox"
    try:
        return ingest(
            received.raw,
            mailbox=mailbox,
            via=provider,
            parsed=parsed,
            provider_dmarc_pass=received.dmarc_pass,
        ).describe()
    except ThreadError as error:
        # Answered 200 all the same: the provider retrying would only bring the same refusal.
        log.warning("Inbound mail from %s not taken: %s", provider, error)
        return f"not taken: {error}"


def _one_line(value) -> str:
    return " ".join(str(value).split()) if value is not None else ""


class _Inbound:
    """Mixed into each provider's anymail view: events become `Received` e-mails."""

    provider = ""

    def post(self, request, *args, **kwargs):
        try:
            self.run_validators(request)
            with self.once(request):
                events = self.parse_events(request)
                received = [self.received(e) for e in events if e.message is not None]
                limit = settings.MAIL_MAX_MESSAGE_BYTES
                if any(len(each.raw) > limit for each in received):
                    raise Refused(413, "body", f"An e-mail is larger than {limit / MIB:g} MiB.")
                for each in received:
                    receive(each, provider=self.provider)
        except SuspiciousOperation:
            raise  # anymail's failed checks (auth, signature): Django's 400
        except UNREADABLE as error:
            raise Refused(400, "body", f"Not a {self.esp_name} inbound post: {error}") from None
        return HttpResponse()

    def once(self, request):
        return contextlib.nullcontext()

    def received(self, event) -> Received:
        if isinstance(event, _Event):
            return event.received
        message = event.message
        return Received(message.as_bytes(), message.envelope_recipient)


class PostmarkInbound(_Inbound, PostmarkInboundWebhookView):
    provider = "postmark"

    def parse_events(self, request):
        # From the spooled body, without Django's in-memory copy of it.
        esp_event = json.loads(request.spooled_body.read())
        if not isinstance(esp_event, dict):
            raise ValueError("the body is not a JSON object")
        raw = esp_event.get("RawEmail")
        if isinstance(raw, str):  # the e-mail as it came: no need for anymail to rebuild it
            return [_Event(Received(raw.encode(), _str_or_none(esp_event, "OriginalRecipient")))]
        return [self.esp_to_anymail_event(_tolerant_postmark(esp_event))]

    @classmethod
    def _address(cls, full):
        """anymail's formatting of one address, or the text as it is when that fails."""
        if not full or not full.get("Email"):
            return full.get("Name", "") if full else ""
        try:
            return super()._address(full)
        except (ValueError, IndexError, TypeError):
            return full["Email"]


class MailgunInbound(_Inbound, MailgunInboundWebhookView):
    provider = "mailgun"

    @contextlib.contextmanager
    def once(self, request):
        """Within the window of its timestamp, and each token once; the token is kept only if
        the message is taken, so a failure lets Mailgun retry."""
        _check_fresh(request.POST.get("timestamp", ""))
        now = timezone.now()
        window = timedelta(seconds=settings.MAIL_MAILGUN_MAX_AGE_SECONDS)
        MailgunToken.objects.filter(seen_at__lt=now - 2 * window).delete()
        with transaction.atomic():
            try:
                with transaction.atomic():
                    MailgunToken.objects.create(
                        token=request.POST.get("token", "")[:100], seen_at=now
                    )
            except IntegrityError:
                raise Refused(400, "token", "This Mailgun post was received before.") from None
            yield

    def parse_events(self, request):
        if "body-mime" in request.POST:  # the e-mail as it came (a route forwarding to …/mime)
            raw = request.POST["body-mime"].encode()
            return [_Event(Received(raw, request.POST.get("recipient")))]
        return super().parse_events(request)


class SendGridInbound(_Inbound, SendGridInboundWebhookView):
    provider = "sendgrid"


class AmazonSesInbound(_Inbound, AmazonSESInboundWebhookView):
    """SNS-delivered SES mail. anymail checks the basic auth and that the SNS headers match the
    body; it does not verify SNS's signature (the basic auth is what proves the sender)."""

    provider = "amazon_ses"

    def post(self, request, *args, **kwargs):
        if self.basic_auth and not request.META.get("HTTP_AUTHORIZATION"):
            # SNS sends basic auth only after a 401 asking for it.
            response = HttpResponse(status=401)
            response["WWW-Authenticate"] = 'Basic realm="Anymail WEBHOOK_SECRET"'
            return response
        return super().post(request, *args, **kwargs)

    def received(self, event):
        found = super().received(event)
        verdict = (event.esp_event or {}).get("receipt", {}).get("dmarcVerdict", {})
        status = str(verdict.get("status", "")).upper() if isinstance(verdict, dict) else ""
        found.dmarc_pass = {"PASS": True, "FAIL": False}.get(status)
        return found


@dataclass
class _Event:
    received: Received
    message: object = True  # "has a message", as anymail's events say


PROVIDERS = {
    # provider -> (view, the ANYMAIL settings it needs, whether its body is a form)
    "postmark": (PostmarkInbound, ("WEBHOOK_SECRET",), False),
    "mailgun": (MailgunInbound, ("WEBHOOK_SECRET", "MAILGUN_WEBHOOK_SIGNING_KEY"), True),
    "sendgrid": (SendGridInbound, ("WEBHOOK_SECRET",), True),
    "amazon_ses": (AmazonSesInbound, ("WEBHOOK_SECRET",), False),
}


def max_body(provider: str) -> int:
    """The largest post taken from a provider, in bytes."""
    if provider == "amazon_ses":
        return SES_MAX_BODY
    return 2 * settings.MAIL_MAX_MESSAGE_BYTES  # the message parsed and raw side by side


def _str_or_none(event: dict, key: str) -> str | None:
    value = event.get(key)
    return value if isinstance(value, str) else None


def _tolerant_postmark(event: dict) -> dict:
    """Postmark's parsed fields as anymail can always build a message from them: its address
    objects become one-line strings (a crafted From can carry line breaks, no address or
    several), and an address that is not one is passed on as text for our parser, which keeps
    the message with an unknown sender."""
    event = dict(event)

    def address(full):
        if not isinstance(full, dict):
            return {"Email": _one_line(full)} if isinstance(full, str) else None
        return {"Name": _one_line(full.get("Name")), "Email": _one_line(full.get("Email"))}

    event["FromFull"] = address(event.get("FromFull")) or {"Email": ""}
    for key in ("ToFull", "CcFull", "BccFull"):
        value = event.get(key)
        if value is not None:
            items = value if isinstance(value, list) else [value]
            event[key] = [a for a in map(address, items) if a]
    for key in ("Subject", "Date", "ReplyTo"):
        if key in event:
            event[key] = _one_line(event[key])
    headers = event.get("Headers")
    event["Headers"] = [
        {"Name": _one_line(h.get("Name")), "Value": _one_line(h.get("Value"))}
        for h in (headers if isinstance(headers, list) else [])
        if isinstance(h, dict) and _one_line(h.get("Name")).replace("-", "").isalnum()
    ]
    return event


def _check_fresh(timestamp: str) -> None:
    seconds = parse_id(timestamp, allow_zero=True)
    if seconds is None:
        raise Refused(400, "timestamp", "Mailgun's timestamp is not a number of seconds.")
    age = abs(timezone.now().timestamp() - seconds)
    if age > settings.MAIL_MAILGUN_MAX_AGE_SECONDS:
        raise Refused(
            400,
            "timestamp",
            f"Mailgun's timestamp is {int(age)} s away from now; at most "
            f"{settings.MAIL_MAILGUN_MAX_AGE_SECONDS} s is accepted.",
        )


def _spool(request, limit: int):
    """The body, read in chunks into a file that stays in memory up to SPOOL_IN_MEMORY."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (closed by the view)
    read = 0
    while chunk := request.read(64 * 1024):
        read += len(chunk)
        if read > limit:  # a Content-Length that understated the body
            spool.close()
            raise Refused(413, "body", f"The post is larger than {limit / MIB:g} MiB.")
        spool.write(chunk)
    spool.seek(0)
    return spool


def _form(spool, content_type: str) -> tuple[QueryDict, MultiValueDict]:
    """A multipart/form-data body's fields and files, without Django's in-memory limit on
    fields (Mailgun's body-mime and SendGrid's email are fields)."""
    parser = BytesFeedParser(policy=compat32)
    parser.feed(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n")
    while chunk := spool.read(64 * 1024):
        parser.feed(chunk)
    message = parser.close()
    if not message.is_multipart():
        raise Refused(400, "body", "The post is not multipart/form-data.")
    fields, files = QueryDict(mutable=True), MultiValueDict()
    for part in message.get_payload():
        name = part.get_param("name", header="content-disposition")
        if name is None:
            continue
        name = collapse_rfc2231_value(name)
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files.appendlist(name, SimpleUploadedFile(filename, data, part.get_content_type()))
        else:
            charset = part.get_content_charset() or "utf-8"
            try:
                fields.appendlist(name, data.decode(charset, errors="replace"))
            except LookupError:
                fields.appendlist(name, data.decode("utf-8", errors="replace"))
    fields._mutable = False
    return fields, files


def _read_body(request, provider: str, is_form: bool) -> None:
    limit = max_body(provider)
    raw_length = request.META.get("CONTENT_LENGTH") or ""
    if not raw_length:
        if request.META.get("HTTP_TRANSFER_ENCODING", "identity").lower() != "identity":
            raise Refused(411, "Content-Length", "Send the body with a Content-Length header.")
    elif parse_id(raw_length, allow_zero=True) is None:
        raise Refused(400, "Content-Length", "Content-Length is not a number of bytes.")
    elif parse_id(raw_length, allow_zero=True) > limit:
        raise Refused(
            413,
            "body",
            f"The post is larger than {provider} mail is taken here: at most {limit / MIB:g} "
            "MiB (MAIL_MAX_MESSAGE_BYTES).",
        )
    spool = _spool(request, limit)
    request.spooled_body = spool
    if provider == "postmark":
        return  # its view reads the spool itself
    multipart = request.content_type == "multipart/form-data"
    # Mailgun's fields are parsed from the spool; SendGrid's view reads the body again for its
    # fields' charsets; JSON and urlencoded bodies are read whole.
    request._body = b"" if multipart and provider != "sendgrid" else spool.read()
    spool.seek(0)
    if is_form and multipart:
        request._post, request._files = _form(spool, request.META.get("CONTENT_TYPE", ""))
    elif is_form:
        request._post = QueryDict(request._body, encoding=request.encoding)
        request._files = MultiValueDict()


def inbound_view(provider: str):
    view_class, needs, is_form = PROVIDERS[provider]
    view = view_class.as_view()

    @csrf_exempt
    def gate(request, *args, **kwargs):
        if not all(settings.ANYMAIL.get(name) for name in needs):
            return HttpResponseNotFound(
                f"Inbound mail from {provider} is not configured.", content_type="text/plain"
            )
        try:
            if request.method == "POST":
                _read_body(request, provider, is_form)
            return view(request, *args, **kwargs)
        except Refused as refused:
            log.warning("Inbound post from %s refused: %s", provider, refused)
            return error_response(refused.status, str(refused), {refused.field: [str(refused)]})
        finally:
            spool = getattr(request, "spooled_body", None)
            if spool is not None:
                spool.close()

    return gate
