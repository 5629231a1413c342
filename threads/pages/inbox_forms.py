"""Forms of the inbox: its filters (GET, kept in the URL), a bulk change and a saved view.

A filter value that is not a choice is dropped and named in a message, never a 500."""

from django import forms

from accounts.models import Team
from policies.models import BreachReason, Tier
from policies.vocabulary import Channel, Priority, ThreadStatus
from slaops.ids import parse_id
from threads.models import ClockState
from threads.pages.detail import assignable_people
from threads.pages.inbox import ANY, NO_CLOCK, OPEN, PAUSED, SORTS, InboxFilters
from threads.pages.queue import SCOPES

STATUS_CHOICES = [(OPEN, "Open (not resolved)"), (ANY, "Any status"), *ThreadStatus.choices]
STATE_CHOICES = [
    ("", "Any SLA state"),
    (ClockState.BREACHING, "Breaching"),
    (ClockState.IMMINENT_BREACH, "Imminent breach"),
    (ClockState.PENDING, "Pending"),
    (PAUSED, "Paused"),
    (NO_CLOCK, "No clock running"),
]
LABELS = {"q": "Search", "scope": "Whose", "sort": "Sort", "state": "SLA state"}


def _any(label, choices):
    return [("", label), *choices]


class InboxFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, strip=True, label="Search")
    scope = forms.ChoiceField(choices=SCOPES, required=False, label="Whose")
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    priority = forms.ChoiceField(choices=_any("Any priority", Priority.choices), required=False)
    channel = forms.ChoiceField(choices=_any("Any channel", Channel.choices), required=False)
    tier = forms.TypedChoiceField(choices=[], coerce=int, empty_value=None, required=False)
    team = forms.TypedChoiceField(choices=[], coerce=int, empty_value=None, required=False)
    state = forms.ChoiceField(choices=STATE_CHOICES, required=False, label="SLA state")
    sort = forms.ChoiceField(choices=list(SORTS.items()), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tiers = Tier.objects.order_by("order", "name").values_list("pk", "name")
        self.fields["tier"].choices = _any("Any tier", [(str(pk), n) for pk, n in tiers])
        teams = Team.objects.order_by("name").values_list("pk", "name")
        self.fields["team"].choices = _any("Any team", [(str(pk), n) for pk, n in teams])

    def filters(self) -> InboxFilters:
        """The valid filters; the others are left out (see `problems`)."""
        self.is_valid()
        data = {name: self.cleaned_data.get(name) for name in self.fields}
        return InboxFilters(**{k: v for k, v in data.items() if v not in (None, "")})

    def problems(self) -> list[str]:
        """What was ignored, in words: "Sort: “size” is not one of the choices; ignored."."""
        said = []
        for name in self.errors:
            value = str(self.data.get(name, ""))[:40]
            label = LABELS.get(name, name.capitalize())
            if name == "q":
                said.append("Search: at most 200 characters; the search was ignored.")
            else:
                said.append(f"{label}: “{value}” is not one of the choices; ignored.")
        return said


NO_CHANGE = ""
UNASSIGN = "none"
BULK_ACTIONS = [("assign", "Assign to"), ("team", "Move to team"), ("status", "Set status"),
                ("priority", "Set priority"),
                ("breach_reason", "Give a breach reason")]  # fmt: skip


class BulkForm(forms.Form):
    """Which threads, and one change for all of them."""

    threads = forms.CharField(error_messages={"required": "Tick at least one thread first."})
    action = forms.ChoiceField(
        choices=BULK_ACTIONS, error_messages={"invalid_choice": "Choose what to change."}
    )
    assignee = forms.CharField(required=False)
    team = forms.CharField(required=False)
    status = forms.ChoiceField(choices=_any("—", ThreadStatus.choices), required=False)
    priority = forms.ChoiceField(choices=_any("—", Priority.choices), required=False)
    reason = forms.CharField(required=False, max_length=500)
    breach_reason = forms.CharField(required=False)  # to every missed clock of the threads
    note = forms.CharField(required=False, max_length=2000, strip=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ids = self.data.getlist("threads") if hasattr(self.data, "getlist") else []
        self._ids = ids

    def clean_threads(self) -> list[int]:
        ids = []
        for raw in self._ids:
            pk = parse_id(raw)
            if pk is None:
                raise forms.ValidationError(f"“{str(raw)[:20]}” is not a thread number.")
            ids.append(pk)
        if len(ids) > 200:
            raise forms.ValidationError("At most 200 threads at once.")
        return list(dict.fromkeys(ids))

    def _person(self, raw: str):
        if raw == UNASSIGN:
            return None
        pk = parse_id(raw)
        person = assignable_people().filter(pk=pk).first() if pk is not None else None
        if person is None:
            raise forms.ValidationError("Choose someone who works threads (or “Unassigned”).")
        return person

    def _team(self, raw: str):
        if raw == UNASSIGN:
            return None
        pk = parse_id(raw)
        team = Team.objects.filter(pk=pk).first() if pk is not None else None
        if team is None:
            raise forms.ValidationError("Choose a team (or “No team”).")
        return team

    def clean(self):
        data = super().clean()
        action = data.get("action")
        try:
            if action == "assign":
                data["changes"] = {"assignee": self._person(data.get("assignee") or "")}
            elif action == "team":
                data["changes"] = {"team": self._team(data.get("team") or "")}
            elif action == "priority":
                if not data.get("priority"):
                    raise forms.ValidationError("Choose a priority.")
                data["changes"] = {"priority": data["priority"]}
            elif action == "status":
                if not data.get("status"):
                    raise forms.ValidationError("Choose a status.")
                data["changes"] = {}
            elif action == "breach_reason":
                pk = parse_id(data.get("breach_reason") or "")
                found = BreachReason.objects.filter(pk=pk).first() if pk else None
                if found is None:
                    raise forms.ValidationError("Choose one of the breach reasons offered.")
                data["breach_reason"], data["changes"] = found, {}
        except forms.ValidationError as error:
            self.add_error({"assign": "assignee"}.get(action, action), error)
        return data


class SavedViewForm(forms.Form):
    name = forms.CharField(
        max_length=80, error_messages={"required": "Give the view a name."}, strip=True
    )
    team = forms.TypedChoiceField(choices=[], coerce=int, empty_value=None, required=False)
    query = forms.CharField(max_length=1000, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = Team.objects.filter(members=user).order_by("name").values_list("pk", "name")
        self.fields["team"].choices = _any("Only me", [(str(pk), f"Team {n}") for pk, n in teams])
