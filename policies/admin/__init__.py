"""The managers' SLA configuration in the Django admin: one module per screen."""

from policies.admin import calendars, channels, reasons, setup, sla_policies, teams, tiers

__all__ = ["calendars", "channels", "reasons", "setup", "sla_policies", "teams", "tiers"]
