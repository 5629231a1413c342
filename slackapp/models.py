"""The Slack app's configuration (the one app's credentials, the workspaces it is installed in
with their tokens, connected channels, linked people) and its own records: the events Slack
delivered (unique by event_id), every Slack message seen (unique by workspace, channel and ts,
whether an event or the catch-up brought it) and the replies posted back."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from policies.vocabulary import Priority
from slaops.secrets import SecretCharField


class SlackCredentials(models.Model):
    """The one Slack app's credentials (Basic Information → App Credentials): a single row."""

    signing_secret = SecretCharField(
        max_length=255,
        blank=True,
        help_text="Basic Information → App Credentials → Signing Secret. Write-only once saved.",
    )
    client_id = models.CharField(max_length=40, blank=True, help_text="e.g. 1234567890.987654")
    client_secret = SecretCharField(
        max_length=255, blank=True, help_text="App Credentials → Client Secret. Write-only."
    )
    token_rotation = models.BooleanField(
        "token rotation",
        default=False,
        help_text="Only if token rotation is turned on for the app in Slack (OAuth & "
        "Permissions → Advanced token security): expiring tokens are refreshed before use.",
    )

    class Meta:
        verbose_name = verbose_name_plural = "Slack app credentials"
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="slack_one_app")]

    def __str__(self) -> str:
        return "Slack app credentials"

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "SlackCredentials":
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class SlackApp(models.Model):
    """An installation of the app: one workspace (or, org-wide, one Enterprise Grid org), keyed
    by (enterprise_id, team_id), with its bot token."""

    name = models.CharField(max_length=120, default="Slack")
    enterprise_id = models.CharField(
        "Enterprise Grid org id", max_length=20, blank=True, help_text="E0123ABCD, if any."
    )
    team_id = models.CharField(
        "workspace team id",
        max_length=20,
        blank=True,
        help_text="The workspace's id, e.g. T0123ABCD (Slack: workspace settings, or the "
        "“team_id” of any event). Empty for an org-wide install.",
    )
    is_enterprise_install = models.BooleanField("org-wide install", default=False, editable=False)
    org_team_ids = models.JSONField(
        "the org's workspaces",
        default=list,
        blank=True,
        editable=False,
        help_text="An org-wide install: the workspaces of our Enterprise Grid org "
        "(auth.teams.list), whose members are agents, not customers.",
    )
    bot_token = SecretCharField(
        max_length=255, help_text="The Bot User OAuth Token (xoxb-…). Write-only once saved."
    )
    bot_refresh_token = SecretCharField(max_length=255, blank=True, editable=False)
    bot_token_expires_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Token rotation: refreshed before then."
    )
    signing_secret = SecretCharField(
        max_length=255,
        blank=True,
        help_text="Only for a workspace with an app of its own, set up by hand: its Signing "
        "Secret. Empty: the app's (Slack app credentials). Write-only once saved.",
    )
    triage_channel_id = models.CharField(
        "triage channel",
        max_length=20,
        blank=True,
        help_text="This workspace's triage channel id (C0123ABCD): SLA alerts of its threads "
        "go there. Empty: the Slack app alert channel's.",
    )
    installed_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolve_reaction = models.CharField(
        max_length=60,
        default="white_check_mark",
        help_text="An agent reacting with this emoji (its name, without colons) resolves the "
        "thread.",
    )
    enabled = models.BooleanField(default=True)
    catch_up_not_before = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="Slack asked us to wait (429 Retry-After): the catch-up reads nothing before.",
    )
    bot_user_id = models.CharField(max_length=20, blank=True, editable=False)
    last_error = models.CharField(max_length=300, blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "Slack workspace"
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise_id", "team_id"], name="slack_installation_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.team_id or self.enterprise_id})"

    @property
    def source(self) -> str:
        """The `source` of the threads this workspace opens."""
        return f"slack:{self.team_id or self.enterprise_id}"


class SlackChannel(models.Model):
    app = models.ForeignKey(SlackApp, on_delete=models.CASCADE, related_name="channels")
    channel_id = models.CharField(max_length=20, help_text="e.g. C0123ABCD (channel details).")
    name = models.CharField(max_length=120, blank=True)
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.PROTECT,
        help_text="Customer questions asked in this channel open threads of this account.",
    )
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL)
    priority = models.CharField(
        max_length=10, choices=Priority.choices, default=Priority.NORMAL, blank=True
    )
    workflow_opens_threads = models.BooleanField(
        "customer workflows open threads",
        default=False,
        help_text="A Workflow form (or another bot) of the customer's organisation posting at "
        "the top of the channel opens a thread, as a customer's question does. Inside a thread "
        "their posts are always the customer's automatic messages.",
    )
    externally_shared = models.BooleanField(
        default=False,
        editable=False,
        help_text="Slack said the channel is shared with another organisation (Slack Connect).",
    )
    connected_at = models.DateTimeField(
        default=timezone.now,
        editable=False,
        help_text="The catch-up reads the channel's history from here on, never before.",
    )
    last_seen_ts = models.CharField(
        max_length=20,
        blank=True,
        editable=False,
        help_text="The newest top-level message seen: the catch-up reads the history after it.",
    )

    class Meta:
        verbose_name = "connected channel"
        constraints = [
            models.UniqueConstraint(fields=["app", "channel_id"], name="slack_channel_once")
        ]

    def __str__(self) -> str:
        return f"#{self.name or self.channel_id} → {self.account}"


class SlackUser(models.Model):
    """A Slack user we have seen: an agent when `agent` is set (by hand, or found by e-mail
    through users.info), a customer otherwise."""

    app = models.ForeignKey(SlackApp, on_delete=models.CASCADE, related_name="users")
    slack_user_id = models.CharField(max_length=20)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="The agent this Slack user is; their replies are public agent replies.",
    )
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    team_id = models.CharField(
        "organisation",
        max_length=20,
        blank=True,
        help_text="The workspace they belong to (users.info): another one than ours is the "
        "customer's organisation in a Slack Connect channel.",
    )
    looked_up_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "Slack user"
        constraints = [
            models.UniqueConstraint(fields=["app", "slack_user_id"], name="slack_user_once")
        ]

    def __str__(self) -> str:
        return self.name or self.slack_user_id


class SlackEvent(models.Model):
    """One event Slack delivered; the unique event_id makes a retry or duplicate a no-op."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        DONE = "done", "Recorded"
        WAITING = "waiting", "Waiting for its thread"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    app = models.ForeignKey(SlackApp, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=40, blank=True)
    channel_id = models.CharField(max_length=20, blank=True)
    ts = models.CharField(max_length=20, blank=True)
    thread_ts = models.CharField(max_length=20, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    repeats = models.PositiveIntegerField(default=0, help_text="Retries Slack sent after it.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["channel_id", "thread_ts", "status"]),
            # Events whose task was lost (a cluster down when it was queued): swept each minute.
            models.Index(
                fields=["received_at"],
                name="slack_event_unmapped",
                condition=models.Q(status="received"),
            ),
        ]

    def __str__(self) -> str:
        return self.event_id


class SlackMessage(models.Model):
    """One Slack message seen, by the Events API or the catch-up, unique by (workspace, channel,
    ts): a message caught up after an outage and its late event are one. A reply seen before
    its thread's first message waits here (`pending`, with its body) until that arrives."""

    class Status(models.TextChoices):
        RECORDED = "recorded", "Recorded"
        PENDING = "pending", "Waiting for its thread's first message"
        IGNORED = "ignored", "Ignored"

    app = models.ForeignKey(SlackApp, on_delete=models.CASCADE, related_name="messages")
    channel_id = models.CharField(max_length=20)
    ts = models.CharField(max_length=20)
    thread_ts = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    note = models.CharField(max_length=300, blank=True)
    body = models.JSONField(default=dict, blank=True, help_text="Kept while pending only.")
    via = models.CharField(max_length=10, default="event")  # "event" or "catch-up"
    user_id = models.CharField(
        max_length=20, blank=True, help_text="The Slack user who wrote it (empty for a bot)."
    )
    replies_read_to = models.CharField(
        max_length=20,
        blank=True,
        help_text="A thread's first message: the catch-up read its replies up to this ts.",
    )
    replies_checked_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A thread's first message: when the catch-up last asked for its replies "
        "(the longest unchecked go first, so no thread waits behind a full run).",
    )
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "Slack message seen"
        verbose_name_plural = "Slack messages seen"
        constraints = [
            models.UniqueConstraint(fields=["app", "channel_id", "ts"], name="slack_message_once")
        ]
        indexes = [models.Index(fields=["app", "channel_id", "thread_ts", "status"])]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.ts}"


class SlackPost(models.Model):
    """An agent's reply to post into its Slack thread (the outbox row)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (permanent)"

    app = models.ForeignKey(SlackApp, on_delete=models.CASCADE, related_name="posts")
    message = models.OneToOneField(
        "threads.Message", on_delete=models.CASCADE, related_name="slack_post"
    )
    channel_id = models.CharField(max_length=20)
    thread_ts = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    slack_ts = models.CharField(max_length=20, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    state_at = models.DateTimeField(default=timezone.now, help_text="When its status last changed.")

    class Meta:
        verbose_name = "reply posted to Slack"
        verbose_name_plural = "replies posted to Slack"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"reply {self.message_id} → {self.channel_id}"


class SlackTriageMessage(models.Model):
    """The one triage-channel message of a thread, updated (chat.update) as its clocks move."""

    alert_channel = models.ForeignKey(
        "policies.AlertChannel", on_delete=models.CASCADE, related_name="+"
    )
    thread = models.ForeignKey("threads.Thread", on_delete=models.CASCADE, related_name="+")
    slack_channel = models.CharField(max_length=20)
    ts = models.CharField(max_length=20)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alert_channel", "thread"], name="slack_triage_message_once"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.thread_id} in {self.slack_channel}"
