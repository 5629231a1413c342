"""The admin index as a starting point: a getting-started checklist ticked from the data, and
the SLA screens first in the list of apps."""

from dataclasses import dataclass

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from policies.admin.helpers import counted

# The apps a manager sets up, in the order they need them; the rest (tokens, the task queue,
# groups) follows in the admin's own order.
APP_ORDER = ["policies", "threads", "accounts", "mail", "slackapp", "integrations", "whatif"]
# The SLA screens in the order the checklist walks them.
MODEL_ORDER = ["calendar", "tier", "slapolicy", "alertchannel"]
TEST_ALERT_SENT = "Sent a test alert"  # the start of the channel's history line on success


@dataclass
class Step:
    title: str
    why: str
    url: str
    done: bool
    state: str = ""
    next: bool = False


def setup_steps(request) -> list[Step]:
    from policies.models import AlertChannel, Calendar, Holiday, SetupStep, SlaPolicy, Tier

    calendars = Calendar.objects.count()
    holidays = Holiday.objects.count()
    tiers = Tier.objects.count()
    policies = SlaPolicy.objects.count()
    active = SlaPolicy.objects.filter(active=True).count()
    channels = AlertChannel.objects.count()
    tested = LogEntry.objects.filter(
        content_type__app_label="policies",
        content_type__model="alertchannel",
        change_message__startswith=TEST_ALERT_SENT,
    ).exists()
    steps = [
        Step(
            "Set your business hours",
            "A calendar: the time zone and the hours a week your team answers in.",
            reverse("admin:policies_calendar_add")
            if not calendars
            else reverse("admin:policies_calendar_changelist"),
            calendars > 0,
            counted(calendars, "calendar", "calendars") if calendars else "",
        ),
        Step(
            "Import public holidays",
            "Tick your calendar in the list and choose “Import public holidays…”: those days "
            "are closed.",
            reverse("admin:policies_calendar_changelist"),
            holidays > 0,
            counted(holidays, "holiday", "holidays") if holidays else "",
        ),
        Step(
            "Name your customer tiers",
            "Gold, Silver…: policies can promise faster answers to some customers.",
            reverse("admin:policies_tier_changelist"),
            tiers > 1,
            counted(tiers, "tier", "tiers") if tiers else "",
        ),
        Step(
            "Create a policy from a template",
            "Pick the promise closest to yours; review its targets, then activate it.",
            reverse("admin:policies_slapolicy_templates"),
            active > 0,
            f"{counted(policies, 'policy', 'policies')}, {active} active" if policies else "",
        ),
        Step(
            "Add an alert channel",
            "Where warnings and breaches go: e-mail, Slack, Teams, PagerDuty or a webhook.",
            reverse("admin:policies_alertchannel_add")
            if not channels
            else reverse("admin:policies_alertchannel_changelist"),
            channels > 0,
            counted(channels, "channel", "channels") if channels else "",
        ),
        Step(
            "Send a test alert",
            "Open the channel and press “Send a test alert”: check it arrives.",
            reverse("admin:policies_alertchannel_changelist"),
            tested,
        ),
        Step(
            "Preview a deadline",
            "“Which policy applies?”, a calendar's or a policy's preview, or a what-if: when "
            "would a thread written now warn and breach?",
            reverse("admin:policies_slapolicy_preview"),
            SetupStep.done(SetupStep.PREVIEWED),
        ),
    ]
    for step in steps:
        if not step.done:
            step.next = True
            break
    return steps


def sla_first(app_list: list[dict]) -> list[dict]:
    rank = {label: i for i, label in enumerate(APP_ORDER)}
    models = {name: i for i, name in enumerate(MODEL_ORDER)}
    for app in app_list:
        if app["app_label"] == "policies":
            app["models"].sort(key=lambda m: models.get(m["object_name"].lower(), len(models)))
    return sorted(app_list, key=lambda app: rank.get(app["app_label"], len(rank)))


_get_app_list = admin.site.get_app_list


def get_app_list(request, app_label=None):
    return sla_first(_get_app_list(request, app_label))


# The default site is Django's own (no custom AdminSite class in the settings): its list of
# apps is ordered here, where the SLA screens are declared.
admin.site.get_app_list = get_app_list
