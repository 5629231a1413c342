"""The support world's shared words: priorities, channels, thread statuses and SLA metrics.

Threads store them, policies match on them; defining them once keeps both in step.
"""

from django.db import models


class Priority(models.TextChoices):
    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack"
    CHAT = "chat", "Chat"
    WEB = "web", "Web form"
    API = "api", "API"
    PHONE = "phone", "Phone"


class ThreadStatus(models.TextChoices):
    OPEN = "open", "Open"
    WAITING_ON_CUSTOMER = "waiting_on_customer", "Waiting on customer"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# Statuses a manager may choose to pause resolution time; resolved/closed stop it instead.
PAUSABLE_STATUSES = [ThreadStatus.WAITING_ON_CUSTOMER, ThreadStatus.ON_HOLD]


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    NEXT_RESPONSE = "next_response", "Next response"
    RESOLUTION = "resolution", "Resolution"
    # Stops at the first resolve and never resumes (resolution resumes on reopen).
    FIRST_RESOLUTION = "first_resolution", "First resolution"
    # A public update at least every N business hours: one clock per cycle between replies.
    PERIODIC_UPDATE = "periodic_update", "Periodic update"
    # A team's own (internal) targets, on the team's calendar: never a customer's clock.
    TEAM_RESPONSE = "team_response", "Team response"
    TEAM_RESOLUTION = "team_resolution", "Team resolution"


# What a policy promises the customer, and what a team promises internally (its OLA).
POLICY_METRICS = [
    Metric.FIRST_RESPONSE,
    Metric.NEXT_RESPONSE,
    Metric.RESOLUTION,
    Metric.FIRST_RESOLUTION,
    Metric.PERIODIC_UPDATE,
]
TEAM_METRICS = [Metric.TEAM_RESPONSE, Metric.TEAM_RESOLUTION]
