"""A what-if draft: edits to one policy (targets, warnings) or one calendar (weekly hours,
holidays), held in memory and in the manager's session; nothing here writes."""

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from django.utils.dateparse import parse_date

from policies.hours import hours_text
from policies.models import Calendar, SlaPolicy, WarningThreshold, Weekday
from policies.selectors import weekly_hours
from slaops.formatting import format_duration


@dataclass
class Draft:
    """Edits to one policy (targets, warnings) or one calendar (weekly hours, holidays)."""

    policy_id: int | None = None
    calendar_id: int | None = None
    targets: dict[int, timedelta] = field(default_factory=dict)  # SlaTarget pk -> duration
    thresholds: list[tuple[str, int]] | None = None  # None = unchanged
    weekly: dict[int, list[tuple[time, time]]] | None = None  # None = unchanged
    holidays_added: dict[date, str] = field(default_factory=dict)  # date -> name
    holidays_removed: list[date] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "policy_id": self.policy_id,
            "calendar_id": self.calendar_id,
            "targets": {str(pk): d.total_seconds() for pk, d in self.targets.items()},
            "thresholds": None if self.thresholds is None else [list(t) for t in self.thresholds],
            "weekly": None
            if self.weekly is None
            else {
                str(day): [[o.isoformat(), c.isoformat()] for o, c in spans]
                for day, spans in self.weekly.items()
            },
            "holidays_added": {d.isoformat(): name for d, name in self.holidays_added.items()},
            "holidays_removed": [d.isoformat() for d in self.holidays_removed],
        }

    @classmethod
    def from_json(cls, data: dict) -> "Draft":
        weekly = data.get("weekly")
        return cls(
            policy_id=data.get("policy_id"),
            calendar_id=data.get("calendar_id"),
            targets={int(pk): timedelta(seconds=s) for pk, s in data.get("targets", {}).items()},
            thresholds=None
            if data.get("thresholds") is None
            else [(kind, int(value)) for kind, value in data["thresholds"]],
            weekly=None
            if weekly is None
            else {
                int(day): [(time.fromisoformat(o), time.fromisoformat(c)) for o, c in spans]
                for day, spans in weekly.items()
            },
            holidays_added={
                parse_date(d): name for d, name in data.get("holidays_added", {}).items()
            },
            holidays_removed=[parse_date(d) for d in data.get("holidays_removed", [])],
        )


def threshold_text(kind: str, value: int) -> str:
    if kind == WarningThreshold.Kind.PERCENT_USED:
        return f"{value}%"
    return f"{format_duration(timedelta(minutes=value))} before due"


def thresholds_text(thresholds) -> str:
    return ", ".join(threshold_text(kind, value) for kind, value in thresholds) or "none"


def draft_changes(draft: Draft) -> list[str]:
    """What the draft changes, in a manager's words (empty = the draft equals the configuration)."""
    lines = []
    if draft.policy_id:
        policy = SlaPolicy.objects.prefetch_related("targets", "thresholds").get(pk=draft.policy_id)
        for target in policy.targets.all():
            new = draft.targets.get(target.pk, target.duration)
            if new != target.duration:
                who = target.get_priority_display() if target.priority else "any priority"
                lines.append(
                    f"{target.get_metric_display()} ({who}): "
                    f"{format_duration(target.duration)} → {format_duration(new)}"
                )
        old = sorted((t.kind, t.value) for t in policy.thresholds.all())
        if draft.thresholds is not None and sorted(draft.thresholds) != old:
            lines.append(f"Warnings: {thresholds_text(old)} → {thresholds_text(draft.thresholds)}")
    if draft.calendar_id:
        calendar = Calendar.objects.get(pk=draft.calendar_id)
        weekly = weekly_hours(calendar)
        for day in range(7):
            new = (draft.weekly or weekly).get(day, [])
            if sorted(new) != sorted(weekly[day]):
                lines.append(f"{Weekday(day).label}: {hours_text(weekly[day])} → {hours_text(new)}")
        if draft.holidays_added:
            added = ", ".join(
                f"{d:%a %d %b %Y}{f' ({name})' if name else ''}"
                for d, name in sorted(draft.holidays_added.items())
            )
            lines.append(f"Holidays added: {added}")
        if draft.holidays_removed:
            removed = ", ".join(f"{d:%a %d %b %Y}" for d in sorted(draft.holidays_removed))
            lines.append(f"Holidays removed: {removed}")
    return lines


def subject_policy_ids(draft: Draft) -> list[int]:
    """The policies whose clocks the draft changes: the policy, or the active ones using the
    calendar."""
    if draft.policy_id:
        return [draft.policy_id]
    return list(
        SlaPolicy.objects.active()
        .filter(calendar_id=draft.calendar_id)
        .order_by("order", "id")
        .values_list("pk", flat=True)
    )
