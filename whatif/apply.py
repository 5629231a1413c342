"""Applying a what-if draft: the configuration changes for clocks started afterwards and, if
asked, running clocks take it too; finished clocks never change."""

from dataclasses import dataclass

from django.db import transaction

from policies.models import SlaPolicy
from policies.selectors import configuration_version
from policies.services import calendar_days_set, policy_times_set
from whatif.draft import Draft, draft_changes, subject_policy_ids


class DraftStale(Exception):
    """The configuration changed since the what-if ran: its figures no longer hold."""


@dataclass
class Applied:
    changes: list[str]
    policies: list[SlaPolicy]
    reapplied: int | None = None  # running clocks retargeted, None = not asked


def draft_apply(
    *, draft: Draft, reapply: bool = False, actor=None, version: int | None = None
) -> Applied:
    """Write the draft: clocks started from now on follow it. With `reapply`, the policies'
    running clocks take it too (threads.services.policy_reapply); finished clocks never change.

    `version` is the configuration the what-if ran against: if anything was saved since, the
    figures the manager saw no longer hold, and nothing is written (DraftStale)."""
    from threads.services import policy_reapply

    with transaction.atomic():
        if version is not None and configuration_version() != version:
            raise DraftStale(
                "The configuration changed since this what-if ran (someone saved a policy or a "
                "calendar). Run the what-if again before applying."
            )
        changes = draft_changes(draft)
        if draft.policy_id:
            policy_times_set(
                policy_id=draft.policy_id, targets=draft.targets, thresholds=draft.thresholds
            )
        if draft.calendar_id:
            calendar_days_set(
                calendar_id=draft.calendar_id,
                weekly=draft.weekly,
                holidays_added=draft.holidays_added,
                holidays_removed=draft.holidays_removed,
            )
        policies = list(SlaPolicy.objects.filter(pk__in=subject_policy_ids(draft)))
    applied = Applied(changes=changes, policies=policies)
    if reapply:
        # Each thread is its own transaction in policy_reapply, after the new configuration is in.
        applied.reapplied = sum(policy_reapply(policy=p, actor=actor) for p in policies)
    return applied
