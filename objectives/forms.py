"""The objective's admin form: the scope as pick lists (policies, tiers, accounts, teams by name;
priorities and channels by their words) instead of JSON with database ids."""

from django import forms

from accounts.models import Account, Team
from objectives.models import Objective
from policies.models import SlaPolicy, Tier
from policies.vocabulary import TEAM_METRICS, Channel, Priority
from slaops.fields import TimeZoneFormField

PICKED = {
    "policies": ("Policies", lambda: SlaPolicy.objects.order_by("order", "name")),
    "tiers": ("Tiers", lambda: Tier.objects.order_by("name")),
    "accounts": ("Accounts", lambda: Account.objects.order_by("name")),
    "teams": ("Teams", lambda: Team.objects.order_by("name")),
}
CHOSEN = {"priorities": ("Priorities", Priority.choices), "channels": ("Channels", Channel.choices)}


def _picked(label: str, model) -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        model.objects.none(), required=False, label=label,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )  # fmt: skip


def _chosen(label: str, choices) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=choices, required=False, label=label, widget=forms.CheckboxSelectMultiple
    )


class ObjectiveForm(forms.ModelForm):
    time_zone = TimeZoneFormField()
    scope_policies = _picked("Policies", SlaPolicy)
    scope_tiers = _picked("Tiers", Tier)
    scope_accounts = _picked("Accounts", Account)
    scope_teams = _picked("Teams", Team)
    scope_priorities = _chosen("Priorities", Priority.choices)
    scope_channels = _chosen("Channels", Channel.choices)

    class Meta:
        model = Objective
        fields = [
            "name",
            "metric",
            "target_percent",
            "period",
            "time_zone",
            "at_risk_share",
            "alert_channels",
            "notify_managers",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scope = self.instance.scope or {}
        for key, (_, rows) in PICKED.items():
            self.fields[f"scope_{key}"].queryset = rows()
            self.fields[f"scope_{key}"].initial = scope.get(key, [])
        for key in CHOSEN:
            self.fields[f"scope_{key}"].initial = scope.get(key, [])
        self.fields["scope_policies"].help_text = (
            "Nothing chosen in a list = any. A clock counts when it matches every list, on its "
            "thread as it was when the clock was decided."
        )

    def clean(self):
        data = super().clean()
        scope = {}
        for key in PICKED:
            chosen = data.get(f"scope_{key}") or []
            if chosen:
                scope[key] = sorted(row.pk for row in chosen)
        for key in CHOSEN:
            chosen = data.get(f"scope_{key}") or []
            if chosen:
                scope[key] = list(chosen)
        if data.get("metric") in TEAM_METRICS and scope.pop("policies", None):
            self.add_error("scope_policies", "A team's clocks have no policy: choose teams.")
        self.instance.scope = scope
        return data
