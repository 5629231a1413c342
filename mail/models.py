"""E-mail as a channel: the mailboxes a team reads and sends from, every e-mail that came in
(with its attachments) and every reply that goes out (an outbox row per reply, with its state)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from policies.vocabulary import Priority
from slaops.secrets import SecretCharField


class Security(models.TextChoices):
    SSL = "ssl", "TLS from the start (IMAPS 993 / SMTPS 465)"
    STARTTLS = "starttls", "STARTTLS (IMAP 143 / submission 587)"
    NONE = "none", "None (only on a trusted local network)"


class Mailbox(models.Model):
    """A support address: how to read it (IMAP or a provider's inbound webhook), how to send
    from it (its own SMTP server, or EMAIL_URL), and what new threads get."""

    name = models.CharField(max_length=100, unique=True)
    address = models.EmailField(
        unique=True, help_text="The support address customers write to, e.g. support@acme.example."
    )
    active = models.BooleanField(default=True, help_text="Unticked: not polled, not sent from.")
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="New threads from this mailbox go to this team.",
    )
    priority = models.CharField(
        max_length=10,
        choices=Priority.choices,
        default=Priority.NORMAL,
        help_text="Priority of new threads from this mailbox.",
    )
    # Reading: IMAP. Empty host = the mailbox is fed by a provider's inbound webhook only.
    imap_host = models.CharField(
        "IMAP host", max_length=255, blank=True, help_text="Empty: mail arrives by webhook only."
    )
    imap_port = models.PositiveIntegerField("IMAP port", default=993)
    imap_security = models.CharField(
        "IMAP security", max_length=10, choices=Security.choices, default=Security.SSL
    )
    imap_user = models.CharField("IMAP user", max_length=255, blank=True)
    imap_password = SecretCharField("IMAP password", max_length=500, blank=True)
    imap_folder = models.CharField("IMAP folder", max_length=255, default="INBOX")
    # Sending: SMTP. Empty host = through the server's EMAIL_URL.
    smtp_host = models.CharField(
        "SMTP host",
        max_length=255,
        blank=True,
        help_text="Empty: replies go out through the server's mail settings (EMAIL_URL).",
    )
    smtp_port = models.PositiveIntegerField("SMTP port", default=587)
    smtp_security = models.CharField(
        "SMTP security", max_length=10, choices=Security.choices, default=Security.STARTTLS
    )
    smtp_user = models.CharField("SMTP user", max_length=255, blank=True)
    smtp_password = SecretCharField("SMTP password", max_length=500, blank=True)
    # Who vouches for a sender (mail/vouching.py): the server that receives this mailbox's mail.
    authserv_id = models.CharField(
        "receiving server's name in Authentication-Results",
        max_length=255,
        blank=True,
        help_text="The name your receiving mail server writes first in the "
        "Authentication-Results line of every e-mail it accepts (e.g. mx.google.com for Gmail, "
        "amazonses.com for Amazon SES). An e-mail whose sender that server found genuine (DMARC "
        "pass) may join its own thread by a bare [#123] in the subject; others open a new "
        "thread. Empty: no sender is taken as genuine by this line.",
    )
    microsoft_365 = models.BooleanField(
        "Microsoft 365",
        default=False,
        help_text="Tick if Microsoft 365 (Exchange Online) receives this mailbox's mail: it "
        "writes no server name of its own, so the topmost Authentication-Results line is read.",
    )
    plus_addressing = models.BooleanField(
        "replies to support+…",
        default=False,
        help_text="Ask customers to reply to this address with the thread's code after a + "
        "(support+238-k7qxa2mbte@…), so a reply finds its thread even when a mail client drops "
        "the subject. Tick only if mail to support+anything@ reaches this mailbox (Gmail, "
        "Google Workspace and Microsoft 365 do; a Postfix server needs recipient_delimiter = +).",
    )
    # Kept by the poller.
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, help_text="What went wrong on the last poll.")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def source(self) -> str:
        """The threads' source: the same Message-ID in two mailboxes is two threads."""
        return f"email:{self.pk}"


class InboundEmail(models.Model):
    """One e-mail as it came in, whatever became of it: the full original is kept."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", "Customer message"
        AUTO_REPLY = "auto_reply", "Auto-reply"
        BOUNCE = "bounce", "Bounce"
        LOOP = "loop", "Our own message (ignored)"

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="inbound")
    message_id = models.CharField(max_length=300, help_text="Message-ID, or a digest without one.")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    thread = models.ForeignKey(
        "threads.Thread", null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    # A foreign key: the same e-mail sent to two of our addresses is one message on the thread.
    thread_message = models.ForeignKey(
        "threads.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_emails",
    )
    from_address = models.EmailField(max_length=254, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    recipients = models.JSONField(default=list, blank=True, help_text="To and Cc addresses.")
    sender_vouched = models.BooleanField(
        "sender verified",
        default=False,
        help_text="The receiving server or provider found the sender genuine (DMARC pass).",
    )
    references = models.JSONField(default=list, blank=True, help_text="In-Reply-To + References.")
    full_text = models.TextField(blank=True, help_text="The whole text, quotes and signature too.")
    bounced_message_id = models.CharField(max_length=300, blank=True)
    raw = models.FileField(upload_to="mail/raw/%Y/%m/", blank=True)
    via = models.CharField(max_length=20, help_text="imap, a provider's name, or file.")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "message_id"], name="inbound_once_per_mailbox"
            )
        ]
        indexes = [models.Index(fields=["message_id"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.from_address}: {self.subject}"


class Attachment(models.Model):
    inbound = models.ForeignKey(InboundEmail, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        "threads.Message",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    file = models.FileField(upload_to="mail/attachments/%Y/%m/")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class OutboundEmail(models.Model):
    """An agent's reply on its way to the customer: one row per reply, sent with retries."""

    class Status(models.TextChoices):
        PENDING = "pending", "Sending"
        SENDING = "sending", "Sending"
        RETRYING = "retrying", "Failed, will retry"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    reply = models.OneToOneField(
        "threads.Message", on_delete=models.CASCADE, related_name="outbound_email"
    )
    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="outbound")
    from_name = models.CharField(max_length=200, blank=True)
    to_address = models.EmailField(max_length=254)
    subject = models.CharField(max_length=400)
    message_id = models.CharField(max_length=300, unique=True)
    in_reply_to = models.CharField(max_length=300, blank=True)
    references = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    state_at = models.DateTimeField(default=timezone.now, help_text="When its status last changed.")
    bounced = models.BooleanField(default=False, help_text="A bounce came back for it.")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "retrying"]),
                name="outbound_due",
            )
        ]
        verbose_name = "outbound e-mail"

    def __str__(self) -> str:
        return f"to {self.to_address}: {self.subject} ({self.get_status_display()})"


class MailgunToken(models.Model):
    """A Mailgun signature's token, seen once: the same signed post again is a replay. Kept for
    twice the accepted timestamp window (MAIL_MAILGUN_MAX_AGE_SECONDS), then deleted."""

    token = models.CharField(max_length=100, unique=True)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return self.token
