"""Configuration that reaches running clocks: an account's new tier, a policy re-applied.

Each thread changes under its row lock through the same rules and store as any other change.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from accounts.models import Account
from policies.models import Tier
from threads.clocks import store
from threads.clocks.actions import FieldsChanged, Reapplied, TimePassed
from threads.clocks.book import PolicyBook
from threads.clocks.times import instant
from threads.models import CLOSED_STATUSES, RUNNING_STATES, SlaClock, Thread


@transaction.atomic
def account_set_tier(*, account: Account, tier, actor=None, at=None) -> int:
    """Move an account to another tier; its open threads are matched again, all or nothing.
    Returns how many threads were matched again."""
    when = instant(at)
    Account.objects.filter(pk=account.pk).update(tier=tier)
    account.tier = tier
    effective = tier or Tier.default()  # named in the history
    book = PolicyBook.load()
    threads = account.threads.exclude(status__in=CLOSED_STATUSES).values_list("pk", flat=True)
    count = 0
    for thread_id in threads:
        thread = store.lock(thread_id)  # reads the account as just moved
        tier_id = book.effective_tier_id(thread)
        if thread.tier_id == tier_id:
            continue
        work = store.load(thread, actor=actor, book=book)
        # A thread opened after the account moved is matched again from its opening.
        why = f"account {account.name} moved to tier {effective.name if effective else 'none'}"
        work.apply(FieldsChanged(max(when, thread.created_at), changes={"tier": tier_id}, why=why))
        store.save([work])
        count += 1
    return count


@transaction.atomic
def account_set_time_zone(*, account: Account, time_zone: str, actor=None, at=None) -> int:
    """Move an account to another time zone; running clocks of policies that follow the
    customer's zone are rescheduled in it (retargeted events), all or nothing. Returns how many
    threads changed."""
    when = instant(at)
    Account.objects.filter(pk=account.pk).update(time_zone=time_zone)
    account.time_zone = time_zone
    book = PolicyBook.load()
    following = {p.pk for p in book.policies if p.use_customer_time_zone}
    threads = (
        SlaClock.objects.filter(
            thread__account=account, state__in=RUNNING_STATES, policy_id__in=following
        )
        .values_list("thread_id", flat=True)
        .distinct()
        .order_by("thread_id")
    )
    count = 0
    for thread_id in threads:
        thread = store.lock(thread_id)  # reads the account in its new zone
        work = store.load(thread, actor=actor, book=book)
        why = f"account {account.name} moved to the time zone {time_zone}"
        work.apply(Reapplied(max(when, thread.created_at), why=why))
        if work.dirty or work.created:
            store.save([work])
            count += 1
    return count


@transaction.atomic
def team_removed(team, *, actor=None) -> int:
    """A team is being deleted: each open thread it holds is taken from it through the rules
    (its team clocks stop, the policy is matched again), as if a person removed the team,
    before the database empties the field. Returns how many threads changed."""
    when = instant(None)
    book = PolicyBook.load()
    threads = team.threads.exclude(status__in=CLOSED_STATUSES).values_list("pk", flat=True)
    count = 0
    for thread_id in threads.order_by("pk"):
        thread = store.lock(thread_id)
        work = store.load(thread, actor=actor, book=book)
        at = max(when, thread.created_at)
        work.apply(TimePassed(at))  # what was due before is alerted as usual
        # The team's own clocks end with it: recorded, but no one is alerted of a promise
        # that no longer exists (nor by rules of a team being deleted).
        work.historical = True
        why = f"team {team.name} deleted"
        work.apply(FieldsChanged(at, changes={"team": None}, why=why))
        store.save([work])
        count += 1
    return count


def on_team_deleted(sender, instance, **kwargs) -> None:
    team_removed(instance)


@dataclass
class ReapplyChange:
    thread_id: int
    subject: str
    metric: str
    old_target: object
    new_target: object
    old_due: datetime | None
    new_due: datetime | None
    old_state: str
    new_state: str


def _reapply_threads(policy) -> list[int]:
    return list(
        SlaClock.objects.filter(policy=policy, state__in=RUNNING_STATES)
        .values_list("thread_id", flat=True)
        .distinct()
        .order_by("thread_id")
    )


def _reapply_one(thread: Thread, book: PolicyBook, at: datetime, actor=None):
    work = store.load(thread, actor=actor, book=book)
    before = {c.pk: (c.target_duration, c.due_at, c.state) for c in work.clocks if c.is_running}
    work.apply(Reapplied(max(at, thread.created_at)))
    changes = []
    for clock in work.clocks:
        if clock.pk not in before and clock not in work.created:
            continue
        old_target, old_due, old_state = before.get(clock.pk, (None, None, "—"))
        if (old_target, old_due, old_state) != (clock.target_duration, clock.due_at, clock.state):
            changes.append(
                ReapplyChange(
                    thread_id=thread.pk,
                    subject=thread.subject,
                    metric=clock.get_metric_display(),
                    old_target=old_target,
                    new_target=clock.target_duration,
                    old_due=old_due,
                    new_due=clock.due_at,
                    old_state=old_state,
                    new_state=clock.state,
                )
            )
    return work, changes


def policy_reapply_plan(*, policy, at: datetime | None = None) -> list[ReapplyChange]:
    """Dry run: what re-applying the policy to its running clocks would change. Writes nothing."""
    at = instant(at)
    book = PolicyBook.load()
    changes = []
    threads = Thread.objects.select_related("account", "policy").in_bulk(_reapply_threads(policy))
    for thread in threads.values():
        changes.extend(_reapply_one(thread, book, at)[1])
    return changes


def policy_reapply(*, policy, actor=None, at: datetime | None = None) -> int:
    """Apply the policy as it is now to its running clocks (retargeted events); finished clocks
    are untouched. Each thread is its own transaction. Returns the number of clocks changed."""
    at = instant(at)
    book = PolicyBook.load()
    changed = 0
    for thread_id in _reapply_threads(policy):
        with transaction.atomic():
            work, changes = _reapply_one(store.lock(thread_id), book, at, actor=actor)
            store.save([work])
            changed += len(changes)
    return changed
