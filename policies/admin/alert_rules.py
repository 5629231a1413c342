"""Alert rules on the admin's pages: a policy's notification rules and a team's alert rules share
one form and one layout; only the metrics a rule may name differ (a policy's clocks, or the
team's own)."""

from django import forms
from django.contrib import admin

from policies.alert_kinds import AlertEvent
from policies.models import AlertChannel, NotificationRule, TeamAlertRule
from policies.vocabulary import POLICY_METRICS, TEAM_METRICS

RULE_FIELDS = [
    "events",
    "metrics",
    "escalation_levels",
    "to_assignee",
    "to_team",
    "to_managers",
    "by_email",
    "in_app",
    "channels",
]


class AlertRuleForm(forms.ModelForm):
    """Events, metrics and escalation levels as tick boxes; the metrics offered are the
    subclass's `metrics_offered`."""

    metrics_offered: list = []

    events = forms.MultipleChoiceField(
        choices=AlertEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
        help_text="The SLA events this rule sends.",
    )
    metrics = forms.MultipleChoiceField(
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked = every metric.",
    )
    escalation_levels = forms.TypedMultipleChoiceField(
        choices=[(level, f"Level {level}") for level in range(1, 6)],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="For “escalation level reached”: none ticked = every level.",
    )
    channels = forms.ModelMultipleChoiceField(
        queryset=AlertChannel.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Also send to these channels (set them up under Alert channels).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "metrics" in self.fields:
            self.fields["metrics"].choices = [(m.value, m.label) for m in self.metrics_offered]


class NotificationRuleForm(AlertRuleForm):
    metrics_offered = POLICY_METRICS

    class Meta:
        model = NotificationRule
        fields = RULE_FIELDS


class TeamAlertRuleForm(AlertRuleForm):
    metrics_offered = TEAM_METRICS

    class Meta:
        model = TeamAlertRule
        fields = RULE_FIELDS


class AlertRuleInline(admin.StackedInline):
    extra = 0
    fieldsets = [
        (None, {"fields": ["events", "metrics", "escalation_levels"]}),
        ("People", {"fields": ["to_assignee", "to_team", "to_managers", "by_email", "in_app"]}),
        ("Channels", {"fields": ["channels"]}),
    ]


class NotificationRuleInline(AlertRuleInline):
    model = NotificationRule
    form = NotificationRuleForm
    verbose_name = "notification rule"
    verbose_name_plural = "notification rules (who hears about which SLA events)"


class TeamAlertRuleInline(AlertRuleInline):
    model = TeamAlertRule
    form = TeamAlertRuleForm
    verbose_name = "team alert rule"
    verbose_name_plural = (
        "alert rules (who hears about the team's own clocks; webhooks name them team_clock.*)"
    )
