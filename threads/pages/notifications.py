"""Reads for the in-app notifications: the bell's unread count, the notifications page with a
title per warning threshold, and opening one (which marks it read)."""

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from threads.alerting.alert import warning_title
from threads.models import EventKind, Notification
from threads.selectors import visible_limit


def _notifications(user) -> QuerySet:
    """The person's notifications, about threads they may still see (a thread moved to another
    team leaves a team-limited agent's bell)."""
    notifications = Notification.objects.filter(user=user)
    limit = visible_limit(user, "thread__")
    # An objective's notification has no thread: it went to this person as a manager.
    return (
        notifications
        if limit is None
        else notifications.filter(limit | Q(objective_event__isnull=False))
    )


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return _notifications(user).filter(read_at__isnull=True).count()


def notifications_for(*, user, page: int | str = 1, per_page: int = 50) -> Page:
    notifications = (
        _notifications(user)
        .select_related("thread", "event__clock", "objective_event__objective")
        .order_by("-created_at", "-id")
    )
    page = Paginator(notifications, per_page).get_page(page)
    for notification in page.object_list:
        notification.shown_title = shown_title(notification)
    return page


def shown_title(notification: Notification) -> str:
    """The title the list shows: a warning names its threshold (the stored title, written when
    the alert went out, says only "due soon" for every threshold)."""
    event = notification.event
    if event is None or event.kind != EventKind.WARNING or not event.clock_id:
        return notification.title
    threshold = str((event.details or {}).get("threshold") or "")
    what = warning_title(event.clock.get_metric_display(), threshold)
    return f"{what}: #{notification.thread_id} {notification.thread.subject}"[:300]


def open_notification(*, user, notification_id: int) -> str:
    """Opening a notification marks it read; returns where it leads: its thread's page, or an
    objective's (Notification.DoesNotExist for someone else's)."""
    notification = (
        _notifications(user)
        .select_related("objective_event")
        .only("pk", "thread_id", "read_at", "objective_event__objective_id")
        .get(pk=notification_id)
    )
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
    if notification.thread_id is None:
        from objectives.alerts import objective_url

        return objective_url(notification.objective_event.objective_id).removeprefix(
            settings.SITE_URL
        )
    return reverse("thread", args=[notification.thread_id])
