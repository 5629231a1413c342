"""The querysets the thread endpoints read: filters from the query string, prefetches per page."""

from django.db.models import Exists, F, OuterRef, Prefetch, Subquery

from threads.models import RUNNING_STATES, SlaClock, SlaEvent, Thread


def filter_threads(queryset, filters: dict):
    for name in ("status", "priority", "tier", "team"):
        if name in filters:
            queryset = queryset.filter(**{name: filters[name]})
    if "source" in filters:  # the pair, checked by the filter serializer
        queryset = queryset.filter(source=filters["source"], external_id=filters["external_id"])
    if "assignee" in filters:
        queryset = queryset.filter(assignee=filters["assignee"])
    clock = {}
    if "metric" in filters:
        clock["metric"] = filters["metric"]
    if "state" in filters:
        clock["state"] = filters["state"]
    if "due_before" in filters or "due_after" in filters:
        clock["state__in"] = RUNNING_STATES
        if "due_before" in filters:
            clock["due_at__lt"] = filters["due_before"]
        if "due_after" in filters:
            clock["due_at__gte"] = filters["due_after"]
    if clock:
        queryset = queryset.filter(Exists(SlaClock.objects.filter(thread=OuterRef("pk"), **clock)))
    if filters.get("ordering") == "next_due":
        next_due = (
            SlaClock.objects.filter(
                thread=OuterRef("pk"), state__in=RUNNING_STATES, due_at__isnull=False
            )
            .order_by("due_at")
            .values("due_at")[:1]
        )
        return queryset.annotate(next_due=Subquery(next_due)).order_by(
            F("next_due").asc(nulls_last=True), "id"
        )
    return queryset.order_by("-created_at", "-id")


def thread_queryset(*, events: bool = False):
    queryset = Thread.objects.select_related("contact", "assignee", "policy").prefetch_related(
        Prefetch(
            "clocks",
            queryset=SlaClock.objects.select_related(
                "policy", "calendar", "breach_reason", "overridden_by"
            ).order_by("started_at", "id"),
        )
    )
    if events:
        queryset = queryset.prefetch_related(
            Prefetch(
                "events",
                queryset=SlaEvent.objects.select_related("clock", "actor").order_by("at", "id"),
            )
        )
    return queryset
