"""Where alerts go: alert channels and the notification rules of a policy."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save

from policies.alert_kinds import TRANSPORTS, AlertEvent, channel_kinds, transport_choices
from policies.configuration import ConfigurationModel, ConfigurationVersion
from policies.models.policies import SlaPolicy
from slaops.secrets import SecretCharField, SecretURLField


class AlertChannel(ConfigurationModel):
    """Where alerts go besides people: fixed e-mail addresses, a Slack channel, a webhook."""

    Kind = transport_choices("channel_label")  # one per entry of alert_kinds.TRANSPORTS

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=10, choices=channel_kinds)
    addresses = models.TextField(
        blank=True, help_text="E-mail: one address per line or comma separated."
    )
    # Both encrypted at rest (slaops/secrets.py): a Slack or Teams URL is its own password.
    url = SecretURLField(
        max_length=500, blank=True, help_text="Slack incoming-webhook URL, or your endpoint."
    )
    secret = SecretCharField(
        max_length=200,
        blank=True,
        help_text="Webhook signing secret (whsec_…); generated when left empty.",
    )
    enabled = models.BooleanField(default=True)
    operator_alerts = models.BooleanField(
        "operator alerts",
        default=False,
        help_text="Also send alerts about SLA Ops itself here: a channel or mailbox failing, the "
        "evaluator lagging. Each problem once, then a “recovered” message. Pick a channel other "
        "than the one you want to hear about; with none chosen, they go to the managers by e-mail.",
    )
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def address_list(self) -> list[str]:
        return [a.strip() for a in self.addresses.replace(",", "\n").splitlines() if a.strip()]

    def clean(self):
        if self.kind in TRANSPORTS:  # an unknown kind is refused by the field itself
            TRANSPORTS[self.kind].check(self)


class AlertRule(ConfigurationModel):
    """Which SLA events reach whom, and how: a policy's rules (NotificationRule) for its clocks,
    a team's (policies.models.teams.TeamAlertRule) for the team's own clocks."""

    events = models.JSONField(default=list, help_text="The events this rule sends.")
    escalation_levels = models.JSONField(
        default=list, blank=True, help_text="For escalations: which levels (empty = every level)."
    )
    metrics = models.JSONField(default=list, blank=True, help_text="Empty = every metric.")
    to_assignee = models.BooleanField("the assignee", default=False)
    to_team = models.BooleanField("the thread's team", default=False)
    to_managers = models.BooleanField("the managers", default=False)
    by_email = models.BooleanField(
        "e-mail people", default=True, help_text="People above get an e-mail."
    )
    in_app = models.BooleanField(
        "notify people in the app", default=True, help_text="People above get an in-app note."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{', '.join(self.events) or 'no events'} → {self.recipients_text()}"

    def recipients_text(self) -> str:
        people = [
            label
            for flag, label in (
                (self.to_assignee, "assignee"),
                (self.to_team, "team"),
                (self.to_managers, "managers"),
            )
            if flag
        ]
        channels = [c.name for c in self.channels.all()] if self.pk else []
        return ", ".join(people + channels) or "nobody"

    def clean(self):
        unknown = sorted(set(self.events or []) - set(AlertEvent.values))
        if unknown:
            raise ValidationError({"events": f"Unknown events: {', '.join(unknown)}."})
        if not self.events:
            raise ValidationError({"events": "Choose at least one event."})


class NotificationRule(AlertRule):
    """Which SLA events of a policy reach whom, and how."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="rules")
    channels = models.ManyToManyField(AlertChannel, blank=True, related_name="rules")

    class Meta:
        ordering = ["policy", "id"]


def _configuration_links_changed(sender, action, **kwargs):
    # A policy's tiers and teams and a rule's channels are written by the ORM's own link
    # tables (`.set()`, `.add()`, `.clear()`), which never pass through save().
    if action in ("post_add", "post_remove", "post_clear"):
        ConfigurationVersion.bump()


def _team_changed(sender, **kwargs):
    # A team's calendar is configuration the clock rules read (its own clocks run on it), and
    # deleting a team takes it out of policies and escalations without touching their rows.
    ConfigurationVersion.bump()


def _connect_configuration_signals(*links) -> None:
    for through in links:
        m2m_changed.connect(_configuration_links_changed, sender=through)


_connect_configuration_signals(
    SlaPolicy.tiers.through, SlaPolicy.teams.through, NotificationRule.channels.through
)
post_delete.connect(_team_changed, sender="accounts.Team")
post_save.connect(_team_changed, sender="accounts.Team")
