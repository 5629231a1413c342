"""Forms of the agents' pages: the queue's filters (GET, bookmarkable) and the thread actions.

They only check input; the rules (which statuses pause, what a reply stops) live in the services,
whose errors the views put back on the field they name."""

from django import forms

from accounts.models import Team
from policies.vocabulary import Channel, Metric, Priority, ThreadStatus
from threads.models import ClockState
from threads.pages.detail import assignable_people
from threads.pages.queue import PAUSED, SCOPES, QueueFilters

STATE_CHOICES = [
    ("", "Any state"),
    (ClockState.BREACHING, "Breaching"),
    (ClockState.IMMINENT_BREACH, "Imminent breach"),
    (ClockState.PENDING, "Pending"),
    (PAUSED, "Paused"),
]


def _any(label, choices):
    return [("", label), *choices]


class QueueFilterForm(forms.Form):
    scope = forms.ChoiceField(choices=SCOPES, required=False, label="Whose")
    priority = forms.ChoiceField(choices=_any("Any priority", Priority.choices), required=False)
    tier = forms.TypedChoiceField(choices=[], coerce=int, empty_value=None, required=False)
    channel = forms.ChoiceField(choices=_any("Any channel", Channel.choices), required=False)
    metric = forms.ChoiceField(choices=_any("Any metric", Metric.choices), required=False)
    state = forms.ChoiceField(choices=STATE_CHOICES, required=False)

    def __init__(self, *args, tiers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = _any("Any tier", [(str(pk), n) for pk, n in tiers])

    def filters(self) -> QueueFilters:
        """The valid filters; a value that is not a choice (an old bookmark) is ignored."""
        self.is_valid()
        data = {name: self.cleaned_data.get(name) for name in self.fields}
        return QueueFilters(**{k: v for k, v in data.items() if v not in (None, "")})


class ActionForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class MessageForm(ActionForm):
    REPLY, NOTE = "reply", "note"

    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Write to the customer…"}),
        error_messages={"required": "Write something first: the message is empty."},
    )
    kind = forms.ChoiceField(
        choices=[(REPLY, "Reply to the customer"), (NOTE, "Internal note")], initial=REPLY
    )

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError("Write something first: the message is empty.")
        return body


class StatusForm(ActionForm):
    status = forms.ChoiceField(choices=ThreadStatus.choices)
    reason = forms.CharField(
        required=False,
        max_length=500,
        help_text="Needed when the status pauses resolution time; kept in the history.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. asked for the logs"}),
    )


class NoReplyNeededForm(ActionForm):
    reason = forms.CharField(
        required=False,
        max_length=500,
        label="Why (optional)",
        help_text="Kept in the history with your name.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. the customer said thanks"}),
    )


class DetailsForm(ActionForm):
    """Priority, assignee and team; only what changed is sent to the services."""

    priority = forms.ChoiceField(choices=Priority.choices)
    assignee = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Unassigned", label="Assignee"
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"), required=False, empty_label="No team"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_people()
        self.fields["assignee"].label_from_instance = lambda u: u.get_full_name() or u.username

    def changes(self, thread) -> dict:
        data = self.cleaned_data
        changes = {}
        if data["priority"] != thread.priority:
            changes["priority"] = data["priority"]
        if (data["assignee"].pk if data["assignee"] else None) != thread.assignee_id:
            changes["assignee"] = data["assignee"]
        if (data["team"].pk if data["team"] else None) != thread.team_id:
            changes["team"] = data["team"]
        return changes
