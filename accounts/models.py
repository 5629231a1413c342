"""Customers (accounts and their contacts) and the support side (teams and agent profiles)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from slaops.fields import HttpsURLField, TimeZoneField


def normalise_email(email: str) -> str:
    """The one spelling of an e-mail address we store and look up: trimmed, lower-case."""
    return email.strip().lower()


def normalise_domains(value) -> list[str]:
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    return sorted({d.strip().lower().lstrip("@") for d in value or [] if d.strip()})


class Account(models.Model):
    name = models.CharField(max_length=200, unique=True)
    email_domains = models.JSONField(
        default=list,
        blank=True,
        help_text="Mail from these domains belongs to this account (example.com, example.org).",
    )
    tier = models.ForeignKey(
        "policies.Tier",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accounts",
        help_text="Empty = the default tier.",
    )
    time_zone = TimeZoneField(
        default="UTC",
        help_text="Used by policies that follow the customer's time zone.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        self.email_domains = normalise_domains(self.email_domains)
        bad = [d for d in self.email_domains if "." not in d or "@" in d or " " in d]
        if bad:
            raise ValidationError({"email_domains": f"Not a domain: {', '.join(bad)}."})


class Contact(models.Model):
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(unique=True)
    source = models.CharField(
        max_length=40,
        blank=True,
        default="",
        db_default="",
        db_index=True,
        editable=False,
        help_text="Where this contact first came in (the source of their first thread or "
        "message, e.g. zendesk); empty when a person added them. An integration key reads only "
        "the contacts its own source brought in.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")
    calendar = models.ForeignKey(
        "policies.Calendar",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Business hours the team's own clocks run in. Empty = the thread's policy's "
        "calendar (around the clock when no policy matches).",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile"
    )
    time_zone = TimeZoneField(
        default="UTC", help_text="Due times are shown to this person in this zone."
    )
    only_my_teams = models.BooleanField(
        "only my teams' threads",
        default=False,
        help_text="Sees and works only the threads of their teams, and threads assigned to them "
        "(a thread without a team only when it is assigned to them): on the pages and the API.",
    )
    may_move_due_times = models.BooleanField(
        "may move due times",
        default=False,
        help_text="May move a clock's due time, with a reason, before it passes (managers "
        "always may, also after).",
    )
    avatar_url = HttpsURLField(
        "avatar URL",
        max_length=500,
        blank=True,
        default="",
        help_text="An https address of a picture of this person: their replies posted into "
        "Slack show it beside their name. Empty = the Slack app's own icon.",
    )

    def __str__(self) -> str:
        return f"{self.user} ({self.time_zone})"
