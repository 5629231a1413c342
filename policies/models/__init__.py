"""Managers' SLA configuration: tiers, business-hours calendars, policies, targets, warnings,
escalations, alert channels and notification rules. One module per part; import from here."""

from policies.configuration import ConfigurationVersion
from policies.models.alerting import AlertChannel, NotificationRule
from policies.models.calendars import (
    Calendar,
    Holiday,
    OpeningHours,
    SpecialDay,
    Weekday,
    describe_interval,
    interval_minutes,
    overlapping,
)
from policies.models.policies import (
    EscalationLevel,
    SlaPolicy,
    SlaPolicyQuerySet,
    SlaTarget,
    Tier,
    WarningThreshold,
)
from policies.models.reasons import BreachReason
from policies.models.setup import SetupStep
from policies.models.teams import TeamAlertRule, TeamEscalation, TeamTarget, TeamWarning

__all__ = [
    "AlertChannel",
    "BreachReason",
    "Calendar",
    "ConfigurationVersion",
    "EscalationLevel",
    "Holiday",
    "NotificationRule",
    "OpeningHours",
    "SlaPolicy",
    "SetupStep",
    "SlaPolicyQuerySet",
    "SlaTarget",
    "SpecialDay",
    "TeamAlertRule",
    "TeamEscalation",
    "TeamTarget",
    "TeamWarning",
    "Tier",
    "WarningThreshold",
    "Weekday",
    "describe_interval",
    "interval_minutes",
    "overlapping",
]
