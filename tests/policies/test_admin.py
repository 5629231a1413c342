"""The managers' admin: every configuration error gets a message that names the rule."""

from datetime import date, time, timedelta

import pytest
from django.urls import NoReverseMatch, reverse

from policies.models import AlertChannel, Calendar, Holiday, SlaPolicy, Tier
from tests.factories import office_calendar, policy, tier

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def inline_management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def policy_post(targets=(), thresholds=(), **fields):
    data = {
        "name": "Gold",
        "active": "on",
        "description": "",
        "calendar": "",
        "order": "10",
        "pause_statuses": ["waiting_on_customer"],
        **fields,
        **inline_management("targets", len(targets)),
        **inline_management("thresholds", len(thresholds)),
        **inline_management("escalations", 0),
        **inline_management("rules", 0),
    }
    for i, (metric, priority, duration) in enumerate(targets):
        data.update(
            {
                f"targets-{i}-metric": metric,
                f"targets-{i}-priority": priority,
                f"targets-{i}-duration": duration,
            }
        )
    for i, (kind, value) in enumerate(thresholds):
        data.update({f"thresholds-{i}-kind": kind, f"thresholds-{i}-value": str(value)})
    return data


def add_policy(client, **kwargs):
    return client.post(reverse("admin:policies_slapolicy_add"), policy_post(**kwargs))


def test_manager_creates_a_policy_with_targets_typed_as_text(manager_client):
    response = add_policy(
        manager_client,
        targets=[("first_response", "", "1h"), ("resolution", "", "12h 30m")],
        thresholds=[("percent_used", 75)],
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = SlaPolicy.objects.get(name="Gold")
    assert sorted(t.duration for t in created.targets.all()) == [
        timedelta(hours=1),
        timedelta(hours=12, minutes=30),
    ]
    listing = manager_client.get(reverse("admin:policies_slapolicy_changelist")).content.decode()
    assert "12h 30m" in listing and "75% of the target used" in listing


def test_next_response_target_needs_a_first_response_target(manager_client):
    response = add_policy(manager_client, targets=[("next_response", "", "2h")])
    assert response.status_code == 200
    assert "needs a first response target" in response.content.decode()
    assert not SlaPolicy.objects.exists()


def test_zero_and_day_durations_are_refused(manager_client):
    body = add_policy(manager_client, targets=[("first_response", "", "0m")]).content.decode()
    assert "longer than zero" in body
    body = add_policy(manager_client, targets=[("first_response", "", "2d")]).content.decode()
    assert "Write days as hours" in body
    assert not SlaPolicy.objects.exists()


def test_a_warning_longer_than_the_target_is_refused(manager_client):
    body = add_policy(
        manager_client,
        targets=[("first_response", "", "1h")],
        thresholds=[("minutes_before", 90)],
    ).content.decode()
    assert "not shorter than the shortest target" in body
    body = add_policy(
        manager_client,
        targets=[("first_response", "", "1h")],
        thresholds=[("percent_used", 120)],
    ).content.decode()
    assert "between 1 and 99" in body
    assert not SlaPolicy.objects.exists()


def calendar_post(hours, zone="Europe/Berlin", name="Support hours"):
    """The calendar form with the week typed one line per day: hours = [(weekday, "09:00",
    "17:00")], several on one day joined as the manager would type them."""
    week = {day: [] for day in range(7)}
    for weekday, opens, closes in hours:
        week[weekday].append(f"{opens}–{closes}")
    return {
        "name": name,
        "time_zone": zone,
        "description": "",
        **{f"hours_{day}": ", ".join(spans) or "closed" for day, spans in week.items()},
        **inline_management("special_days", 0),
        **inline_management("holidays", 0),
    }


def test_overlapping_opening_hours_on_one_day_are_refused(manager_client):
    response = manager_client.post(
        reverse("admin:policies_calendar_add"),
        calendar_post([(0, "09:00", "13:00"), (0, "12:00", "17:00")]),
    )
    errors = response.context["adminform"].form.errors
    assert "09:00–13:00 and 12:00–17:00 overlap" in errors["hours_0"][0]  # Monday's line
    assert not Calendar.objects.exists()


def test_split_days_and_night_shifts_are_accepted(manager_client):
    response = manager_client.post(
        reverse("admin:policies_calendar_add"),
        calendar_post([(0, "09:00", "12:00"), (0, "13:00", "17:00"), (4, "22:00", "06:00")]),
    )
    assert response.status_code == 302
    assert Calendar.objects.get().hours.count() == 3


def test_unknown_time_zone_is_refused(manager_client):
    response = manager_client.post(
        reverse("admin:policies_calendar_add"), calendar_post([], zone="Europe/Atlantis")
    )
    assert "Europe/Atlantis" in response.content.decode()
    assert "is not a known IANA time zone" in response.content.decode()
    assert not Calendar.objects.exists()


def test_a_second_default_tier_is_refused(manager_client):
    tier("Free", default=True)
    response = manager_client.post(
        reverse("admin:policies_tier_add"), {"name": "Gold", "order": 1, "is_default": "on"}
    )
    assert "“Free” is already the default tier" in response.content.decode()
    assert Tier.objects.filter(is_default=True).count() == 1


def test_the_default_tier_moves_with_the_make_default_action(manager_client):
    free = tier("Free", default=True)
    gold = tier("Gold")
    manager_client.post(
        reverse("admin:policies_tier_changelist"),
        {"action": "make_default", "_selected_action": [gold.pk]},
    )
    assert list(Tier.objects.filter(is_default=True)) == [gold]
    free.refresh_from_db()
    assert not free.is_default


def test_templates_become_real_editable_policies(manager_client):
    calendar = office_calendar()
    response = manager_client.post(
        reverse("admin:policies_slapolicy_templates"),
        {"template": "b2b-tiers", "calendar": calendar.pk, "active": "on"},
    )
    assert response.status_code == 302
    names = list(SlaPolicy.objects.values_list("name", flat=True))
    assert names == ["Enterprise", "Standard", "Free"]
    enterprise = SlaPolicy.objects.get(name="Enterprise")
    assert {t.metric for t in enterprise.targets.all()} == {
        "first_response",
        "next_response",
        "resolution",
    }
    assert [t.name for t in enterprise.tiers.all()] == ["Enterprise"]
    edit = manager_client.get(reverse("admin:policies_slapolicy_change", args=[enterprise.pk]))
    assert edit.status_code == 200


def test_priority_template_sets_targets_per_priority(manager_client):
    manager_client.post(
        reverse("admin:policies_slapolicy_templates"), {"template": "priority-based"}
    )
    created = SlaPolicy.objects.get()
    assert not created.active  # reviewed before it takes threads
    assert {t.priority: t.duration for t in created.targets.all()} == {
        "urgent": timedelta(hours=1),
        "high": timedelta(hours=4),
        "normal": timedelta(hours=8),
        "low": timedelta(hours=24),
    }


def test_cloning_a_policy_copies_targets_and_starts_inactive(manager_client):
    original = policy("Gold", thresholds=[("percent_used", 50)])
    manager_client.post(
        reverse("admin:policies_slapolicy_changelist"),
        {"action": "clone", "_selected_action": [original.pk]},
    )
    copy = SlaPolicy.objects.get(name="Copy of Gold")
    assert not copy.active
    assert copy.targets.count() == 1 and copy.thresholds.count() == 1
    assert copy.order > original.order


def test_policies_move_up_and_down_in_the_order(manager_client):
    first = policy("First", order=10)
    second = policy("Second", order=20)
    manager_client.post(reverse("admin:policies_slapolicy_move", args=[second.pk, "up"]))
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["Second", "First"]
    manager_client.post(reverse("admin:policies_slapolicy_move", args=[second.pk, "down"]))
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["First", "Second"]
    assert first.pk


def test_holidays_are_imported_by_country_and_subdivision(manager_client):
    calendar = office_calendar()
    manager_client.post(
        reverse("admin:policies_calendar_changelist"),
        {
            "action": "import_holidays",
            "_selected_action": [calendar.pk],
            "apply": "1",
            "country": "DE",
            "subdivision": "DE-BY",
            "first_year": 2026,
            "last_year": 2027,
        },
    )
    dates = {h.date.isoformat(): h.name for h in Holiday.objects.all()}
    assert "2026-12-25" in dates and "2027-01-06" in dates  # Epiphany is Bavarian
    assert Holiday.objects.filter(source="holidays:DE-BY").count() == len(dates)


def test_unknown_holiday_country_is_reported(manager_client):
    calendar = office_calendar()
    response = manager_client.post(
        reverse("admin:policies_calendar_changelist"),
        {
            "action": "import_holidays",
            "_selected_action": [calendar.pk],
            "apply": "1",
            "country": "XX",
            "first_year": 2026,
            "last_year": 2026,
        },
    )
    assert response.context["form"].errors["country"] == ["Pick a country from the list."]
    assert not Holiday.objects.exists()


def test_holidays_are_picked_by_country_name_and_region_name(manager_client):
    calendar = office_calendar()
    page = manager_client.post(
        reverse("admin:policies_calendar_changelist"),
        {"action": "import_holidays", "_selected_action": [calendar.pk]},
    ).content.decode()
    assert '<option value="DE">Germany</option>' in page
    assert '<option value="DE-BY">Bayern (BY)</option>' in page
    assert "maxlength" not in page.split('name="country"')[1].split(">")[0]


def test_a_region_of_another_country_is_refused_naming_the_field(manager_client):
    calendar = office_calendar()
    response = manager_client.post(
        reverse("admin:policies_calendar_changelist"),
        {
            "action": "import_holidays",
            "_selected_action": [calendar.pk],
            "apply": "1",
            "country": "FR",
            "subdivision": "DE-BY",
            "first_year": 2026,
            "last_year": 2026,
        },
    )
    assert response.context["form"].errors["subdivision"] == [
        "This state or region is not in France."
    ]
    assert not Holiday.objects.exists()


def test_preview_shows_friday_1630_breaching_monday_0930(manager_client):
    calendar = office_calendar(zone="Europe/Berlin")
    gold = policy("Gold", calendar=calendar, targets=[("first_response", "", 60)])
    response = manager_client.get(
        reverse("admin:policies_slapolicy_preview_one", args=[gold.pk]),
        {
            "start": "2026-11-27T16:30",  # a Friday
            "zone": "Europe/Berlin",
            "priority": "normal",
            "channel": "email",
        },
    )
    body = response.content.decode()
    assert "matches <strong>Gold</strong>" in body
    assert "Mon 30 Nov 2026 09:30 CET" in body


def test_calendar_preview_lists_the_weeks_open_hours(manager_client):
    calendar = office_calendar(opens=time(9), closes=time(17))
    response = manager_client.get(
        reverse("admin:policies_calendar_preview", args=[calendar.pk]),
        {
            "start": "2026-11-27T16:30",
            "zone": "Europe/Berlin",
            "priority": "normal",
            "channel": "email",
        },
    )
    body = response.content.decode()
    assert "No active policy matches" in body
    assert "Mon 30 Nov 2026 09:00 CET" in body and "8h" in body


@pytest.mark.parametrize("name", ["tier", "calendar", "slapolicy", "alertchannel"])
def test_every_configuration_page_opens_for_a_manager(manager_client, name):
    office_calendar()
    policy("Gold")
    for view in ("changelist", "add"):
        response = manager_client.get(reverse(f"admin:policies_{name}_{view}"))
        assert response.status_code == 200, (name, view)


def test_holidays_have_no_page_of_their_own_and_are_edited_on_their_calendar(manager_client):
    calendar = office_calendar()
    Holiday.objects.create(calendar=calendar, date=date(date.today().year, 12, 24), name="Eve")
    with pytest.raises(NoReverseMatch):
        reverse("admin:policies_holiday_changelist")
    page = manager_client.get(reverse("admin:policies_calendar_change", args=[calendar.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="holidays-TOTAL_FORMS"' in body and 'value="Eve"' in body


def test_the_calendar_list_costs_the_same_queries_for_2_and_12_calendars(
    manager_client, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("admin:policies_calendar_changelist")

    def calendars(names):
        for name in names:
            calendar = office_calendar(name=name)
            Holiday.objects.create(calendar=calendar, date=date.today(), name=f"{name} day")

    calendars(["A", "B"])
    manager_client.get(url)  # the session and the permissions are read once per client
    with CaptureQueriesContext(connection) as two:
        assert "B day" in manager_client.get(url).content.decode()
    calendars([f"C{n}" for n in range(10)])
    with django_assert_num_queries(len(two)):
        assert "C9 day" in manager_client.get(url).content.decode()


def test_preview_on_a_policy_says_why_it_does_not_apply(manager_client):
    gold_tier = tier("Gold")
    tier("Free", default=True)
    calendar = office_calendar()
    gold = policy("Gold", calendar=calendar, tiers=[gold_tier], order=10)
    policy("Everyone", calendar=calendar, order=20)
    body = manager_client.get(
        reverse("admin:policies_slapolicy_preview_one", args=[gold.pk]),
        {
            "start": "2026-11-27T16:30",
            "zone": "Europe/Berlin",
            "priority": "normal",
            "channel": "email",
            "tier": "",
        },
    ).content.decode()
    assert "matches <strong>Everyone</strong>" in body
    assert "tier must be Gold" in body


def test_preview_without_a_query_answers_for_the_policys_own_threads(manager_client):
    gold_tier = tier("Gold")
    gold = policy("Gold", calendar=office_calendar(), tiers=[gold_tier])
    body = manager_client.get(
        reverse("admin:policies_slapolicy_preview_one", args=[gold.pk])
    ).content.decode()
    assert "matches <strong>Gold</strong>" in body


def test_calendar_preview_counts_in_that_calendars_hours(manager_client):
    berlin = office_calendar("Berlin", zone="Europe/Berlin")
    new_york = office_calendar("New York", zone="America/New_York")
    policy("Everyone", calendar=berlin)
    body = manager_client.get(
        reverse("admin:policies_calendar_preview", args=[new_york.pk]),
        {
            "start": "2026-11-27T16:30",
            "zone": "America/New_York",
            "priority": "normal",
            "channel": "email",
        },
    ).content.decode()
    assert "Mon 30 Nov 2026 09:30 EST" in body
    assert "Counted in the hours of <strong>New York</strong>" in body


@pytest.mark.parametrize("key", ["b2b-tiers", "priority-based", "on-call-24-7"])
def test_every_template_passes_the_policy_rules(key):
    from policies.catalog import TEMPLATES
    from policies.services import TargetRow, ThresholdRow, policy_problems
    from slaops.formatting import parse_duration

    for spec in TEMPLATES[key].policies:
        problems = policy_problems(
            targets=[TargetRow(m, p, parse_duration(d)) for m, p, d in spec.targets],
            thresholds=[ThresholdRow(k, v) for k, v in spec.thresholds],
        )
        assert problems == [], (spec.name, problems)


# ----------------------------------------------------------------------------- alert channels

SECRET = "whsec_c2VjcmV0LXNpZ25pbmcta2V5LTNmMmE="
SLACK_URL = "https://hooks.slack.com/services/T0001/B0001/tokenSecretPart3f2a"


def channel_page(client, channel):
    return client.get(reverse("admin:policies_alertchannel_change", args=[channel.pk]))


def channel_post(client, channel, **fields):
    data = {
        "name": channel.name,
        "kind": channel.kind,
        "addresses": "",
        "url": "",
        "secret": "",
        "enabled": "on",
        **fields,
    }
    return client.post(reverse("admin:policies_alertchannel_change", args=[channel.pk]), data)


@pytest.fixture
def webhook():
    return AlertChannel.objects.create(
        name="Partner", kind="webhook", url="https://partner.example.com/hook", secret=SECRET
    )


@pytest.fixture
def slack():
    return AlertChannel.objects.create(name="Team Slack", kind="slack", url=SLACK_URL)


def test_a_saved_signing_secret_is_shown_only_as_its_last_four_characters(manager_client, webhook):
    page = channel_page(manager_client, webhook).content.decode()

    assert SECRET not in page and SECRET[6:20] not in page
    assert "••••" + SECRET[-4:] in page
    assert "Leave empty to keep it" in page
    assert "https://partner.example.com/hook" in page  # an endpoint URL is no secret


def test_a_saved_slack_url_is_shown_nowhere_in_the_admin(manager_client, slack):
    channel_post(manager_client, slack, url="", name="Team Slack (ops)")
    pages = [
        channel_page(manager_client, slack),
        manager_client.get(reverse("admin:policies_alertchannel_changelist")),
        manager_client.get(reverse("admin:policies_alertchannel_history", args=[slack.pk])),
    ]
    for page in pages:
        assert page.status_code == 200
        assert "tokenSecretPart" not in page.content.decode()
    assert "hooks.slack.com/…" in pages[1].content.decode()


def test_leaving_a_secret_empty_keeps_it(manager_client, webhook, slack):
    assert channel_post(manager_client, webhook, url=webhook.url).status_code == 302
    assert channel_post(manager_client, slack).status_code == 302

    webhook.refresh_from_db()
    slack.refresh_from_db()
    assert (webhook.secret, slack.url) == (SECRET, SLACK_URL)


def test_typing_a_secret_replaces_it(manager_client, webhook, slack):
    new_url = "https://hooks.slack.com/services/T0001/B0002/another"
    channel_post(
        manager_client,
        webhook,
        url=webhook.url,
        secret="whsec_YS1uZXctc2lnbmluZy1zZWNyZXQtb2YtMzItYnl0ZXM=",
    )
    channel_post(manager_client, slack, url=new_url)

    webhook.refresh_from_db()
    slack.refresh_from_db()
    assert (webhook.secret, slack.url) == (
        "whsec_YS1uZXctc2lnbmluZy1zZWNyZXQtb2YtMzItYnl0ZXM=",
        new_url,
    )


@pytest.mark.parametrize("typed", ["hunter2", "whsec_c2hvcnQ="])
def test_a_secret_that_cannot_sign_is_refused(manager_client, webhook, typed):
    response = channel_post(manager_client, webhook, url=webhook.url, secret=typed)

    assert response.status_code == 200 and "signing secret" in response.content.decode()
    assert typed not in response.content.decode()  # not even the one just typed
    webhook.refresh_from_db()
    assert webhook.secret == SECRET


def test_a_generated_secret_is_shown_once_after_saving(manager_client):
    response = manager_client.post(
        reverse("admin:policies_alertchannel_add"),
        {"name": "Partner", "kind": "webhook", "url": "https://partner.example.com/hook"},
        follow=True,
    )

    created = AlertChannel.objects.get()
    assert created.secret.startswith("whsec_")
    assert any(created.secret in str(m) for m in response.context["messages"])
    assert created.secret not in channel_page(manager_client, created).content.decode()


def test_ticking_generate_replaces_the_secret_and_shows_the_new_one_once(manager_client, webhook):
    response = channel_post(manager_client, webhook, url=webhook.url, **{"secret-clear": "on"})

    webhook.refresh_from_db()
    assert webhook.secret.startswith("whsec_") and webhook.secret != SECRET
    shown = [str(m) for m in manager_client.get(response.url).context["messages"]]
    assert any(webhook.secret in m for m in shown)


def test_a_kept_slack_url_cannot_become_a_visible_webhook_url(manager_client, slack):
    response = channel_post(manager_client, slack, kind="webhook")

    assert response.status_code == 200
    assert "Type the new URL" in response.content.decode()
    slack.refresh_from_db()
    assert (slack.kind, slack.url) == ("slack", SLACK_URL)


def test_a_user_who_may_only_view_channels_sees_no_secret(client, django_user_model, slack):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("vic", "vic@example.com", "pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_alertchannel"))
    client.force_login(viewer)
    webhook = AlertChannel.objects.create(
        name="Partner", kind="webhook", url="https://partner.example.com/hook", secret=SECRET
    )

    for channel in (slack, webhook):
        page = channel_page(client, channel)
        assert page.status_code == 200
        body = page.content.decode()
        assert "tokenSecretPart" not in body and SECRET not in body


def test_a_user_who_may_only_view_channels_cannot_send_a_test_alert(
    client, django_user_model, webhook, monkeypatch
):
    from django.contrib.auth.models import Permission

    sent = []
    monkeypatch.setattr(
        "threads.alerting.delivery.send_test_alert", lambda **kw: sent.append(kw) or []
    )
    viewer = django_user_model.objects.create_user("vic", "vic@example.com", "pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_alertchannel"))
    client.force_login(viewer)

    client.post(
        reverse("admin:policies_alertchannel_changelist"),
        {"action": "send_test_alert", "_selected_action": [webhook.pk]},
    )

    assert sent == []
