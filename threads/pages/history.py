"""History in a support lead's words: one line per clock event of the thread page."""

from datetime import datetime, timedelta

from policies.templatetags.slaops_time import in_zone
from policies.vocabulary import ThreadStatus
from slaops.formatting import format_duration
from threads.models import EventKind
from threads.pages.clock_names import REMOVED_TEAM, clock_name


def _when(value, zone) -> str:
    if not value:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return in_zone(value, zone)


def _target(seconds) -> str:
    return format_duration(timedelta(seconds=seconds)) if seconds is not None else "—"


def describe_event(event, names: dict, zone: str) -> str:
    """One line of history in a support lead's words."""
    d = event.details or {}
    metric = _clock_words(event.clock, names) if event.clock_id else ""
    kind = event.kind
    if kind == EventKind.STARTED:
        under = f" under “{d['policy']}”" if d.get("policy") else ""
        return (
            f"{metric} started{under}: target {_target(d.get('target'))}, "
            f"due {_when(d.get('due_at'), zone)}."
        )
    if kind == EventKind.PAUSED:
        status = ThreadStatus(d["status"]).label.lower() if d.get("status") else "paused"
        return f"{metric} paused ({status}): {d.get('reason') or 'no reason given'}."
    if kind == EventKind.RESUMED:
        due = f", due {_when(d.get('due_at'), zone)}" if d.get("due_at") else ""
        return f"{metric} resumed ({d.get('why', '')}){due}."
    if kind == EventKind.RETARGETED:
        old, new = d.get("old", {}), d.get("new", {})
        return (
            f"{metric} {d.get('why', 're-matched')}: “{old.get('policy')}” "
            f"{_target(old.get('target'))} → “{new.get('policy')}” {_target(new.get('target'))}; "
            f"due {_when(old.get('due_at'), zone)} → {_when(new.get('due_at'), zone)}."
        )
    if kind == EventKind.WARNING:
        return f"{metric} warning ({d.get('threshold', '')}): due {_when(d.get('due_at'), zone)}."
    if kind == EventKind.BREACHING:
        return f"{metric} breaching: it was due {_when(d.get('due_at'), zone)}."
    if kind in (EventKind.ACHIEVED, EventKind.BREACHED):
        used = f" after {_target(d['used'])} of business time" if "used" in d else ""
        return f"{metric} {event.get_kind_display().lower()}{used} ({d.get('why', '')})."
    if kind == EventKind.CANCELLED:
        return f"{metric} cancelled ({d.get('why', '')})."
    if kind == EventKind.ESCALATED:
        return f"{metric} escalated to level {d.get('level')}."
    if kind == EventKind.CUSTOMER_WROTE_WHILE_PAUSED:
        status = ThreadStatus(d["status"]).label.lower() if d.get("status") else "paused"
        return f"The customer wrote while {metric.lower()} was paused ({status})."
    if kind == EventKind.POLICY_MATCHED:
        return f"Policy “{d.get('policy')}” matches this thread."
    if kind == EventKind.NO_POLICY:
        return "No SLA policy matches this thread: no clocks."
    if kind == EventKind.NO_REPLY_NEEDED:
        return "Marked “no reply needed”."
    if kind == EventKind.THREAD_CHANGED:
        return _describe_change(d, names)
    if kind == EventKind.BREACH_REASON:
        note = f" — {d['note']}" if d.get("note") else ""
        state = "confirmed" if d.get("confirmed") else "waiting for a manager"
        excused = ", excused" if d.get("excused") else ""
        return f"{metric}: breach reason “{d.get('reason')}”{excused} ({state}){note}."
    if kind == EventKind.OVERRIDDEN:
        if d.get("exempt"):
            return f"{metric} exempt from objectives: {d.get('reason', '')}."
        return (
            f"{metric} due time moved {_when(d.get('old_due_at'), zone)} → "
            f"{_when(d.get('due_at'), zone)}: {d.get('reason', '')}."
        )
    if kind == EventKind.CORRECTED and d.get("withdrawn"):
        # What a late event put in its place took back: the line it corrects stays as it was.
        what = EventKind(d["withdrawn"]).label.lower() if d["withdrawn"] in EventKind.values else ""
        return (
            f"{metric or 'The thread'}: the {what or d['withdrawn']} of "
            f"{_when(d.get('withdrawn_at'), zone)} no longer holds (a late event was put in its "
            "place)."
        )
    return event.get_kind_display()


def _clock_words(clock, names: dict) -> str:
    """ "Team response — Tier 2" (its team's name from `names`, read with the page's other
    names), "Periodic update, cycle 2", "First response"."""
    team = names.get("team", {}).get(clock.team_id, REMOVED_TEAM) if clock.team_id else None
    return clock_name(clock, team)


def _describe_change(d: dict, names: dict) -> str:
    name = d.get("field", "")

    def show(value):
        if value in (None, ""):
            return "none"
        if name in names:
            return names[name].get(value, f"#{value}")
        if name == "status":
            return ThreadStatus(value).label.lower() if value in ThreadStatus.values else value
        return str(value)

    text = f"{name.capitalize()}: {show(d.get('old'))} → {show(d.get('new'))}"
    extra = d.get("reason") or d.get("why")
    return f"{text} ({extra})." if extra else f"{text}."
