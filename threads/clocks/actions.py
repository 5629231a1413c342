"""What can happen to a thread, as the clock rules hear it: one small value per kind of change.

Every caller speaks this vocabulary: the services (a live change), the importer (a history line),
the what-if (a recorded history told again) and the evaluator (time passing). `Clockwork.apply`
takes any of them. `actor` is the person who made the change when it differs from the work's own
(an import names one per line).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

# Thread fields whose change matches the policy again; the others are only recorded.
REMATCH_FIELDS = ("priority", "channel", "team", "tier")
RECORDED_FIELDS = ("assignee", "subject")
RELATION_FIELDS = ("team", "tier", "assignee")


@dataclass(frozen=True)
class Action:
    at: datetime


@dataclass(frozen=True)
class Opened(Action):
    """A new thread: its policy is matched and resolution time starts."""


@dataclass(frozen=True)
class CustomerWrote(Action):
    needs_reply: bool = True
    automatic: bool = False


@dataclass(frozen=True)
class AgentWrote(Action):
    """`author_teams`: the teams the author belonged to when they wrote (as recorded on the
    message: teams keep no history of their members)."""

    public: bool = True
    automatic: bool = False
    actor: object = None
    author_teams: tuple = ()


@dataclass(frozen=True)
class StatusChanged(Action):
    status: str = ""
    reason: str = ""
    actor: object = None


@dataclass(frozen=True)
class FieldsChanged(Action):
    """New values for thread fields (`team`, `tier` and `assignee` by id or None). Unchanged
    values are ignored; a change of priority, channel, team or tier matches the policy again.

    `why` is what caused it in words (an account's new tier), `reason` what the person said,
    `escalation_level` marks, as data, a change the rules made when an escalation fired."""

    changes: dict = field(default_factory=dict)
    reason: str = ""
    why: str = ""
    escalation_level: int | None = None
    actor: object = None


@dataclass(frozen=True)
class NoReplyNeeded(Action):
    reason: str = ""
    actor: object = None


@dataclass(frozen=True)
class TimePassed(Action):
    """Nothing happened but time: warnings, breaches and escalations whose instant passed."""


@dataclass(frozen=True)
class Reapplied(Action):
    """Configuration the running clocks read changed (a manager re-applies edited policies, the
    account moved to another time zone): they take it, keeping their start. `why` says which."""

    why: str = ""


@dataclass(frozen=True)
class DueMoved(Action):
    """A person moved the due time of the running clock of `metric`: to `due_at`, or by
    `extend_by` business time from its current due time. `reason` says why (required). The
    policy's due time is kept beside it; objectives count against that one."""

    metric: str = ""
    due_at: datetime | None = None
    extend_by: timedelta | None = None
    reason: str = ""
    actor: object = None


def field_value(value):
    """The value a FieldsChanged carries: a model instance is given by its key."""
    return value.pk if hasattr(value, "pk") else value
