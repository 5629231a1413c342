"""Admin forms for the SLA configuration, with validation messages in a manager's words."""

import json
import zoneinfo
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Team
from policies.alert_kinds import DESTINATION_FIELDS, TRANSPORTS
from policies.catalog import TEMPLATES
from policies.models import (
    AlertChannel,
    Calendar,
    SlaPolicy,
    SlaTarget,
    TeamTarget,
    Tier,
)
from policies.models.policies import default_pause_statuses, default_reply_resumes
from policies.secret_fields import SecretField
from policies.services import (
    BUSINESS_HOURS_CALENDAR,
    TargetRow,
    ThresholdRow,
    policy_problems,
)
from policies.vocabulary import PAUSABLE_STATUSES, Channel, Priority
from slaops.fields import TimeZoneFormField, validate_sane_year


class TierForm(forms.ModelForm):
    class Meta:
        model = Tier
        fields = ["name", "order", "is_default"]

    def clean_is_default(self):
        value = self.cleaned_data["is_default"]
        if self.instance.pk and self.instance.is_default and not value:
            raise ValidationError(
                "There must always be one default tier: use “Make default” on the tier that "
                "should replace it."
            )
        if value and Tier.objects.filter(is_default=True).exclude(pk=self.instance.pk).exists():
            current = Tier.objects.get(is_default=True)
            raise ValidationError(
                f"“{current}” is already the default tier and there can be only one: use the "
                "“Make default” action to move it."
            )
        return value


WEBHOOK_SIGNS = "Signs every alert (Standard Webhooks) so the receiving end can check it."
# A saved secret's box says how to keep or replace it (policies/secret_fields.py), and its tick
# box generates a new one: the help only says what it is for.
SAVED_WEBHOOK_SECRET = ("Signing secret", WEBHOOK_SIGNS)

# What each kind's destination fields are called and how to fill them: the form shows the
# chosen kind's (static/slaops/channel_kinds.js), the generic texts without the script.
KIND_FIELD_TEXTS = {
    "email": {"addresses": ("E-mail addresses", "One or more, separated by commas.")},
    "slack": {
        "url": (
            "Incoming-webhook URL",
            "In Slack: Apps → Incoming WebHooks → Add to a channel; it starts with "
            "https://hooks.slack.com/.",
        )
    },
    "webhook": {
        "url": ("Endpoint URL", "https (plain http only to hosts the operator allows)."),
        "secret": (
            "Signing secret",
            f"{WEBHOOK_SIGNS} Leave empty to have one generated, shown once after saving for the "
            "receiving end.",
        ),
    },
    "pagerduty": {
        "url": ("Events API URL", "Leave empty for https://events.pagerduty.com/v2/enqueue."),
        "secret": (
            "Routing key",
            "The Integration Key of the service's Events API v2 "
            "integration (32 letters and digits).",
        ),
    },
    "teams": {
        "url": (
            "Workflows webhook URL",
            "In Teams: Workflows → “Post to a channel when a webhook request is received”.",
        )
    },
    "slack_app": {
        "addresses": (
            "Triage channel id",
            "The Slack channel id, e.g. C0123ABCD (channel details → About); invite the bot.",
        )
    },
}


class AlertChannelForm(forms.ModelForm):
    """An alert channel: the fields its kind uses (alert_kinds.TRANSPORTS), the others emptied on
    save, and its kind's secret write-only once saved: the webhook signing secret, and a Slack
    webhook URL (whoever has it can post to the channel)."""

    url = forms.URLField(
        label="URL",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="Slack: the incoming-webhook URL (https://hooks.slack.com/…). Webhook: your "
        "endpoint, https (plain http only to hosts the operator allows). Teams: the Workflows "
        "webhook URL. PagerDuty: leave empty for https://events.pagerduty.com/v2/enqueue.",
    )
    secret = SecretField(
        label="Signing secret or routing key",
        clear_label="Generate a new secret (webhooks; shown once, after saving)",
        help_text="Webhooks: the signing secret; leave empty to have one generated, shown once "
        "after saving for the receiving end. PagerDuty: the routing key (the Integration Key of "
        "an Events API v2 integration).",
    )
    saved_secret_help = (
        "Webhooks: the signing secret the receiving end checks alerts with. PagerDuty: the "
        "routing key (the Integration Key of an Events API v2 integration)."
    )

    class Meta:
        model = AlertChannel
        fields = ["name", "kind", "addresses", "url", "secret", "enabled", "operator_alerts"]

    class Media:
        js = ["slaops/channel_kinds.js"]  # shows only the chosen kind's fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "kind" in self.fields:  # not on a page that may only be viewed
            self.fields["kind"].widget.attrs["data-kind-fields"] = json.dumps(
                {value: kind.fields for value, kind in TRANSPORTS.items()}
            )
            self.fields["kind"].widget.attrs["data-kind-texts"] = json.dumps(self.kind_texts())
        if self.saved_secret() == "secret":
            self.fields["secret"].help_text = self.saved_secret_help
        name = self.saved_secret()
        if name in self.fields and not isinstance(self.fields[name], SecretField):
            self.fields[name] = SecretField(
                label=self.fields[name].label,
                help_text="Whoever has it can post to the channel, so it is not shown again once "
                "saved.",
            )

    def kind_texts(self) -> dict:
        """KIND_FIELD_TEXTS, with the webhook secret's help for a saved secret where there is
        one: "leave empty to have one generated" is wrong once one is saved (empty keeps it)."""
        if self.saved_secret() != "secret" or self.instance.kind != AlertChannel.Kind.WEBHOOK:
            return KIND_FIELD_TEXTS
        webhook = {**KIND_FIELD_TEXTS["webhook"], "secret": SAVED_WEBHOOK_SECRET}
        return {**KIND_FIELD_TEXTS, "webhook": webhook}

    def saved_secret(self) -> str:
        """The field the saved kind keeps write-only, if it holds a value ("" if none)."""
        kind = TRANSPORTS.get(self.instance.kind) if self.instance.pk else None
        if kind and kind.secret and getattr(self.instance, kind.secret):
            return kind.secret
        return ""

    def clean(self):
        data = super().clean()
        kind = TRANSPORTS.get(data.get("kind"))
        if kind is None:
            return data
        for name in DESTINATION_FIELDS:
            if name not in kind.fields:
                data[name] = ""  # a kind's leftovers (an old secret above all) are not kept
        saved = self.saved_secret()
        self._forget_moved_secret(kind, data)
        if (
            saved in kind.fields
            and saved != kind.secret
            and data.get(saved) == getattr(self.instance, saved)
        ):
            # Kept, the secret would be shown as the new kind's plain value.
            label = self.fields[saved].label
            saved_kind = TRANSPORTS[self.instance.kind].label
            self.add_error(
                saved,
                f"Type the new {label}: the saved {saved_kind} {label} is not kept for another "
                "kind.",
            )
        return data

    def _forget_moved_secret(self, kind, data) -> None:
        """A saved secret that travels to an editable destination (a PagerDuty routing key to
        its Events API URL) is not sent to a new one unless it is typed again."""
        name, where = kind.secret, kind.secret_sent_to
        if not (self.instance.pk and name and where and name in self.fields):
            return
        if self.instance.kind != data.get("kind") or self[name].data:
            return  # another kind keeps nothing anyway; typed again: the manager's choice
        if getattr(self.instance, name) and data.get(where, "") != getattr(self.instance, where):
            data[name] = ""
            self.add_error(
                name,
                f"Type the {self.fields[name].label.lower()} again: it is sent to the "
                f"{self.fields[where].label}, which changed.",
            )


class SlaPolicyForm(forms.ModelForm):
    tiers = forms.ModelMultipleChoiceField(
        queryset=Tier.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked = any tier. Accounts without a tier count as the default tier.",
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked = any team.",
    )
    priorities = forms.MultipleChoiceField(
        choices=Priority.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked = any priority.",
    )
    channels = forms.MultipleChoiceField(
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked = any channel.",
    )
    pause_statuses = forms.MultipleChoiceField(
        label="Statuses that pause resolution",
        choices=[(s.value, s.label) for s in PAUSABLE_STATUSES],
        required=False,
        # Declared fields take no initial from the model: give its documented defaults.
        initial=default_pause_statuses,
        widget=forms.CheckboxSelectMultiple,
        help_text="While a thread has one of these statuses its resolution clock stops counting; "
        "it resumes with the time already used.",
    )
    reply_resumes = forms.MultipleChoiceField(
        label="A customer's reply ends the wait for",
        choices=[(s.value, s.label) for s in PAUSABLE_STATUSES],
        required=False,
        initial=default_reply_resumes,
        widget=forms.CheckboxSelectMultiple,
        help_text="When the customer writes a message that needs a reply while the thread has "
        "one of these statuses, it goes back to open and resolution resumes at the message's "
        "time. Other pausing statuses only flag the message in the history.",
    )

    class Meta:
        model = SlaPolicy
        fields = [
            "name",
            "active",
            "description",
            "tiers",
            "priorities",
            "channels",
            "teams",
            "calendar",
            "use_customer_time_zone",
            "pause_statuses",
            "reply_resumes",
            "page_24_7",
            "order",
        ]


class SiblingAwareFormSet(forms.BaseInlineFormSet):
    """An inline formset that can see the other inlines of the same page (set by the admin)."""

    siblings: list = []

    def sibling(self, model):
        return next((fs for fs in self.siblings if fs.model is model), None)

    def live_forms(self):
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if form.cleaned_data.get("DELETE"):
                continue
            yield form


class TargetFormSet(SiblingAwareFormSet):
    def target_rows(self):
        return [
            TargetRow(
                metric=f.cleaned_data["metric"],
                priority=f.cleaned_data.get("priority") or "",
                duration=f.cleaned_data["duration"],
            )
            for f in self.live_forms()
            if f.cleaned_data.get("metric") and f.cleaned_data.get("duration")
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        seen = set()
        for row in self.target_rows():
            key = (row.metric, row.priority)
            if key in seen:
                raise ValidationError(
                    "Two targets for the same metric and priority: keep one of them."
                )
            seen.add(key)
        problems = policy_problems(targets=self.target_rows(), thresholds=[])
        if problems:
            raise ValidationError(problems)


class ThresholdFormSet(SiblingAwareFormSet):
    """Warnings checked against the targets on the same page (a policy's, or a team's)."""

    target_model = SlaTarget

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        targets = self.sibling(self.target_model)
        if targets is None or not targets.is_valid():
            return
        rows = [
            ThresholdRow(kind=f.cleaned_data["kind"], value=f.cleaned_data["value"])
            for f in self.live_forms()
            if f.cleaned_data.get("kind") and f.cleaned_data.get("value") is not None
        ]
        problems = policy_problems(targets=targets.target_rows(), thresholds=rows)
        if problems:
            raise ValidationError(problems)


class TeamThresholdFormSet(ThresholdFormSet):
    target_model = TeamTarget


AS_THE_TEMPLATE_SAYS, AROUND_THE_CLOCK = "", "24/7"


class TemplateForm(forms.Form):
    template = forms.ChoiceField(choices=[(k, t.name) for k, t in TEMPLATES.items()])
    calendar = forms.ChoiceField(
        required=False,
        help_text="Business hours for the new policies (24/7 templates ignore it). “As the "
        f"template says” uses the calendar named “{BUSINESS_HOURS_CALENDAR}” (Monday to Friday "
        "9:00–17:00 in your time zone, created if missing) for a business-hours template.",
    )
    active = forms.BooleanField(
        required=False,
        initial=False,
        label="Activate now",
        help_text="Leave unticked to review the policies before they take any thread.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["calendar"].choices = [
            (AS_THE_TEMPLATE_SAYS, "As the template says (business hours or 24/7)"),
            (AROUND_THE_CLOCK, "Around the clock (24/7)"),
            *((str(c.pk), str(c)) for c in Calendar.objects.all()),
        ]

    def clean_calendar(self) -> Calendar | str | None:
        """A calendar, AS_THE_TEMPLATE_SAYS, or None for around the clock."""
        value = self.cleaned_data["calendar"]
        if value == AROUND_THE_CLOCK:
            return None
        if value == AS_THE_TEMPLATE_SAYS:
            return AS_THE_TEMPLATE_SAYS
        return Calendar.objects.get(pk=value)  # a choice, so it exists


class PreviewForm(forms.Form):
    start = forms.DateTimeField(
        label="Customer writes at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[validate_sane_year],
    )
    zone = TimeZoneFormField(label="in time zone")
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.NORMAL)
    tier = forms.ModelChoiceField(
        queryset=Tier.objects.all(), required=False, empty_label="(account without a tier)"
    )
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.EMAIL)
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False, empty_label="—")
    customer_zone = TimeZoneFormField(
        label="Customer's time zone",
        required=False,
        help_text="Used by policies that follow the customer's time zone.",
    )

    def clean(self):
        data = super().clean()
        start, zone = data.get("start"), data.get("zone")
        if start and zone:
            # The browser sends a wall-clock time; read it in the zone the manager chose.
            naive = timezone.make_naive(start) if timezone.is_aware(start) else start
            data["start"] = naive.replace(tzinfo=zoneinfo.ZoneInfo(zone))
        return data


def default_preview_start() -> str:
    today = date.today()
    return f"{today:%Y-%m-%d}T09:00"
