"""One configuration version, changed by every configuration write, tells the caches to reload."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.models import Team
from policies import selectors
from policies.models import (
    ConfigurationVersion,
    Holiday,
    NotificationRule,
    OpeningHours,
    SlaPolicy,
    SlaTarget,
)
from policies.services import (
    calendar_days_set,
    configuration_changed,
    holidays_import,
    policies_set_active,
    policy_times_set,
)
from tests.factories import office_calendar, policy, tier
from tests.policies.test_admin import policy_post
from threads.clocks.book import PolicyBook
from threads.services import thread_create

pytestmark = [pytest.mark.django_db, pytest.mark.both]

BERLIN = ZoneInfo("Europe/Berlin")


def matched(**thread):
    book = PolicyBook.load()
    return selectors.matching_policy(
        tier_id=None,
        priority=thread.get("priority", "normal"),
        channel=thread.get("channel", "email"),
        policies=book.policies,
    )


def test_the_fingerprint_over_many_tables_is_gone():
    assert not hasattr(selectors, "configuration_fingerprint")


def test_no_configuration_table_can_be_emptied_by_its_manager():
    assert not hasattr(SlaPolicy.objects, "delete") and not hasattr(Holiday.objects, "delete")


def test_a_running_book_is_reused_while_nothing_is_written(django_assert_num_queries):
    policy("Standard")
    first = PolicyBook.load()
    with django_assert_num_queries(1):  # the version, one row
        assert PolicyBook.load() is first


def test_a_bulk_update_of_a_policys_channels_is_seen_by_a_running_book():
    standard = policy("Standard")
    assert matched(channel="email") == standard
    SlaPolicy.objects.filter(pk=standard.pk).update(channels=["chat"])
    assert matched(channel="email") is None


def test_deactivating_through_the_service_is_seen_by_a_running_book():
    standard = policy("Standard")
    assert matched() == standard
    assert policies_set_active(policies=[standard], active=False) == 1
    assert matched() is None


def test_the_admin_deactivate_action_goes_through_the_service(manager_client):
    standard = policy("Standard")
    assert matched() == standard
    before = ConfigurationVersion.current()
    response = manager_client.post(
        reverse("admin:policies_slapolicy_changelist"),
        {"action": "deactivate", "_selected_action": [standard.pk]},
    )
    assert response.status_code == 302
    assert ConfigurationVersion.current() != before
    assert matched() is None


def test_an_admin_edit_of_a_policys_priorities_is_seen_by_the_next_thread(manager_client):
    add = manager_client.post(
        reverse("admin:policies_slapolicy_add"), policy_post(targets=[("first_response", "", "1h")])
    )
    assert add.status_code == 302
    gold = SlaPolicy.objects.get(name="Gold")
    assert thread_create(subject="Warm the book", priority="low").thread.policy == gold
    change = policy_post(targets=[("first_response", "", "1h")], priorities=["urgent"])
    change.update({"targets-INITIAL_FORMS": "1", "targets-0-id": str(gold.targets.get().pk)})
    edit = manager_client.post(reverse("admin:policies_slapolicy_change", args=[gold.pk]), change)
    assert edit.status_code == 302, edit.content.decode()[:2000]
    assert thread_create(subject="Low again", priority="low").thread.policy is None
    assert thread_create(subject="Urgent", priority="urgent").thread.policy == gold


def test_a_book_read_inside_a_rolled_back_write_is_not_taken_for_a_later_commit():
    standard = policy("Standard")

    class RolledBack(Exception):
        pass

    with pytest.raises(RolledBack), transaction.atomic():
        SlaPolicy.objects.filter(pk=standard.pk).update(channels=["chat"])
        assert matched(channel="email") is None  # the book read its own uncommitted write
        raise RolledBack
    SlaPolicy.objects.filter(pk=standard.pk).update(description="Reworded")
    assert matched(channel="email") == standard


def test_a_bulk_update_of_opening_hours_is_seen_by_the_engine_calendar():
    calendar = office_calendar()
    standard = policy("Standard", calendar=calendar)
    afternoon = datetime(2026, 11, 30, 14, tzinfo=BERLIN)  # a Monday
    PolicyBook.load()
    assert selectors.policy_calendar(standard).is_open(afternoon)
    OpeningHours.objects.filter(calendar=calendar).update(closes=time(12))
    book = PolicyBook.load()
    assert not selectors.policy_calendar(book.policy(standard.pk)).is_open(afternoon)


def test_a_what_if_apply_writes_through_the_services_and_changes_the_version():
    calendar = office_calendar()
    standard = policy("Standard", calendar=calendar)
    target = standard.targets.get()
    before = ConfigurationVersion.current()
    policy_times_set(policy_id=standard.pk, targets={target.pk: timedelta(hours=3)})
    middle = ConfigurationVersion.current()
    calendar_days_set(calendar_id=calendar.pk, holidays_added={date(2026, 12, 24): "Eve"})
    assert len({before, middle, ConfigurationVersion.current()}) == 3
    assert SlaTarget.objects.get(pk=target.pk).duration == timedelta(hours=3)
    assert Holiday.objects.get(calendar=calendar).name == "Eve"


@pytest.mark.parametrize(
    "write",
    [
        "save",
        "delete",
        "bulk_create",
        "bulk_update",
        "queryset_delete",
        "tiers_set",
        "teams_cleared",
        "rule_channels_added",
        "team_deleted",
        "holidays_imported",
        "service",
    ],
)
def test_every_kind_of_configuration_write_changes_the_version(write):
    calendar = office_calendar()
    gold = tier("Gold")
    team = Team.objects.create(name="Support")
    standard = policy("Standard", calendar=calendar)
    standard.teams.set([team])
    rule = NotificationRule.objects.create(policy=standard, events=["breached"])
    before = ConfigurationVersion.current()
    target = standard.targets.get()
    match write:
        case "save":
            gold.save()
        case "delete":
            rule.delete()
        case "bulk_create":
            Holiday.objects.bulk_create([Holiday(calendar=calendar, date=datetime(2026, 12, 24))])
        case "bulk_update":
            target.duration = timedelta(hours=5)
            SlaTarget.objects.bulk_update([target], ["duration"])
        case "queryset_delete":
            OpeningHours.objects.filter(calendar=calendar, weekday=0).delete()
        case "tiers_set":
            standard.tiers.set([gold])
        case "teams_cleared":
            standard.teams.clear()
        case "rule_channels_added":
            from policies.models import AlertChannel

            channel = AlertChannel.objects.create(name="Ops", kind="email", addresses="a@b.c")
            before = ConfigurationVersion.current()
            rule.channels.add(channel)
        case "team_deleted":
            team.delete()
        case "holidays_imported":
            holidays_import(calendar=calendar, country="DE", years=[2026])
        case "service":
            configuration_changed()
    assert ConfigurationVersion.current() != before
