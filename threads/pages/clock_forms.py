"""Forms of a clock's actions on the thread page and the breaches list: a breach reason, a moved
due time (a new time read in the person's zone, or "extend by" business time), an exemption."""

import zoneinfo
from datetime import datetime

from django import forms

from policies.models import BreachReason
from slaops.formatting import parse_duration
from slaops.ids import parse_id


class ReasonForm(forms.Form):
    reason = forms.CharField(error_messages={"required": "Choose a reason."})
    note = forms.CharField(required=False, max_length=2000, strip=True)

    def clean_reason(self) -> BreachReason:
        pk = parse_id(self.cleaned_data["reason"])
        found = BreachReason.objects.filter(pk=pk).first() if pk else None
        if found is None:
            raise forms.ValidationError("Choose one of the reasons offered.")
        return found


class MoveDueForm(forms.Form):
    due_at = forms.CharField(required=False, max_length=40)
    extend_by = forms.CharField(required=False, max_length=40, strip=True)
    reason = forms.CharField(
        max_length=500, strip=True, error_messages={"required": "Say why the due time moves."}
    )

    def __init__(self, *args, zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean_due_at(self) -> datetime | None:
        raw = self.cleaned_data["due_at"].strip()
        if not raw:
            return None
        for layout in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
            try:
                naive = datetime.strptime(raw, layout)
            except ValueError:
                continue
            return naive.replace(tzinfo=zoneinfo.ZoneInfo(self.zone))
        raise forms.ValidationError("Give the new due time as a date and a time.")

    def clean_extend_by(self):
        raw = self.cleaned_data["extend_by"]
        if not raw:
            return None
        try:
            return parse_duration(raw)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self):
        data = super().clean()
        given = [n for n in ("due_at", "extend_by") if data.get(n) is not None]
        if not self.errors and len(given) != 1:
            raise forms.ValidationError("Give either a new due time or how long to extend by.")
        return data


class ExemptForm(forms.Form):
    reason = forms.CharField(
        max_length=500, strip=True, error_messages={"required": "Say why it is exempt."}
    )


def clock_actions(clocks, user, now: datetime) -> list[dict]:
    """Which of a clock's forms this person is offered on the thread page (the services decide
    again on the POST): a reason on a missed clock (not once a manager confirmed it, unless a
    manager), moving a running due time (managers; agents allowed to, before it passes), and an
    exemption (managers)."""
    from accounts.roles import is_manager
    from threads.overrides import may_move_due_times

    manager = is_manager(user)
    mover = may_move_due_times(user)
    offered = []
    for clock in clocks:
        missed = clock.missed_at is not None or clock.breached_at is not None
        passed = clock.due_at is not None and clock.due_at <= now
        running = clock.is_running and not clock.paused
        item = {
            "clock": clock,
            "reason": missed and (manager or not clock.breach_reason_confirmed),
            "move": running and mover and (manager or not passed),
            "exempt": manager and not clock.exempt and clock.counted_as != "cancelled",
        }
        if item["reason"] or item["move"] or item["exempt"]:
            offered.append(item)
    return offered
