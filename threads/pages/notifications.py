"""Reads for the in-app notifications: the bell's unread count and the notifications page."""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from threads.models import Notification
from threads.selectors import visible_limit


def _notifications(user) -> QuerySet:
    """The person's notifications, about threads they may still see (a thread moved to another
    team leaves a team-limited agent's bell)."""
    notifications = Notification.objects.filter(user=user)
    limit = visible_limit(user, "thread__")
    return notifications if limit is None else notifications.filter(limit)


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return _notifications(user).filter(read_at__isnull=True).count()


def notifications_for(*, user, page: int | str = 1, per_page: int = 50) -> Page:
    notifications = (
        _notifications(user).select_related("thread", "event__clock").order_by("-created_at", "-id")
    )
    return Paginator(notifications, per_page).get_page(page)
