"""Entry points for django-q2 (slaops/schedules.py runs `evaluate_objectives` every minute)."""

import logging

from django.utils import timezone

log = logging.getLogger(__name__)


def evaluate_objectives() -> str:
    """Forget the rollups that changed after the fact, keep the periods that ended, then move
    every objective's alert episode (objectives/episodes.py). One objective that fails is
    logged and the others still run; compare-and-set keeps two clusters from alerting twice."""
    from objectives.episodes import evaluate
    from objectives.models import Objective
    from objectives.rollup import apply_count_changes, close_periods

    apply_count_changes()
    now = timezone.now()
    close_periods(now)
    objectives = sent = 0
    for objective in Objective.objects.prefetch_related("alert_channels"):
        objectives += 1
        try:
            sent += len(evaluate(objective, now))
        except Exception:
            log.exception("Evaluating objective %s failed", objective.pk)
    return f"{objectives} objectives, {sent} alerts"
