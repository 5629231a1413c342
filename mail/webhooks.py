"""Inbound mail from providers (Postmark, Mailgun, SendGrid, Amazon SES) through django-anymail's
inbound webhook views: anymail checks the provider's basic auth and signature and parses the
post; each message then goes through the same ingest as IMAP.

An endpoint whose credentials are not configured answers 404: anymail alone would accept
unauthenticated posts with a warning, and nobody must be able to inject mail that way.
"""

import logging

from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from django.conf import settings
from django.db.models import Q
from django.http import HttpResponse, HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt

from mail.ingest import ingest
from mail.matching import mailbox_address
from mail.models import Mailbox
from mail.parsing import ParseError
from threads.services import ThreadError

log = logging.getLogger(__name__)

# provider -> (anymail's view, the ANYMAIL settings it needs)
PROVIDERS = {
    "postmark": (PostmarkInboundWebhookView, ("WEBHOOK_SECRET",)),
    "mailgun": (MailgunInboundWebhookView, ("WEBHOOK_SECRET", "MAILGUN_WEBHOOK_SIGNING_KEY")),
    "sendgrid": (SendGridInboundWebhookView, ("WEBHOOK_SECRET",)),
    "amazon_ses": (AmazonSESInboundWebhookView, ("WEBHOOK_SECRET",)),
}


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


def dmarc_verdict(event) -> bool:
    """The provider's own word that the sender passed DMARC: only Amazon SES gives one."""
    receipt = event.esp_event.get("receipt") if isinstance(event.esp_event, dict) else None
    verdict = receipt.get("dmarcVerdict") if isinstance(receipt, dict) else None
    return isinstance(verdict, dict) and verdict.get("status") == "PASS"


def receive(message, *, provider: str, provider_verdict: bool = False) -> str:
    """One provider message into the ingest; what became of it (for the log)."""
    recipients = [a.addr_spec for a in (message.to or []) + (message.cc or [])]
    if message.envelope_recipient:
        recipients.insert(0, message.envelope_recipient)
    mailbox = mailbox_for(recipients)
    if mailbox is None:
        log.warning("Inbound mail from %s for %s: no mailbox has it", provider, recipients)
        return "no mailbox"
    try:
        return ingest(
            message.as_bytes(), mailbox=mailbox, via=provider, provider_verdict=provider_verdict
        ).describe()
    except (ParseError, ThreadError) as error:
        # Answered 200 all the same: the provider retrying would only bring the same refusal.
        log.warning("Inbound mail from %s not taken: %s", provider, error)
        return f"not taken: {error}"


def _with_ingest(base, provider: str):
    class InboundView(base):
        def post(self, request, *args, **kwargs):
            self.run_validators(request)
            for event in self.parse_events(request):
                if event.message is not None:
                    verdict = provider == "amazon_ses" and dmarc_verdict(event)
                    receive(event.message, provider=provider, provider_verdict=verdict)
            return HttpResponse()

    return InboundView


def inbound_view(provider: str):
    base, needs = PROVIDERS[provider]
    view = _with_ingest(base, provider).as_view()

    @csrf_exempt
    def gate(request, *args, **kwargs):
        if not all(settings.ANYMAIL.get(name) for name in needs):
            return HttpResponseNotFound(
                f"Inbound mail from {provider} is not configured.", content_type="text/plain"
            )
        return view(request, *args, **kwargs)

    return gate
