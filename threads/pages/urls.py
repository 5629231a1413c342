"""Routes of the agents' pages (views in threads/pages/views.py)."""

from django.urls import path

from threads.pages import clock_views, inbox_views, live, views

urlpatterns = [
    path("inbox/", inbox_views.inbox_page, name="inbox"),
    path("inbox/bulk/", inbox_views.inbox_bulk, name="inbox-bulk"),
    path("inbox/views/", inbox_views.inbox_view_save, name="inbox-view-save"),
    path("inbox/views/<int:pk>/delete/", inbox_views.inbox_view_delete, name="inbox-view-delete"),
    path("inbox/views/<int:pk>/copy/", inbox_views.inbox_view_copy, name="inbox-view-copy"),
    path("queue/", views.queue, name="queue"),
    path("queue/live/", views.queue_fragment, name="queue-live"),
    path("threads/<int:pk>/", views.thread_page, name="thread"),
    path("threads/<int:pk>/messages/", views.thread_message, name="thread-message"),
    path(
        "threads/<int:thread_id>/messages/<int:pk>/retry/",
        views.thread_message_retry,
        name="thread-message-retry",
    ),
    path(
        "threads/<int:pk>/no-reply-needed/",
        views.thread_no_reply_needed,
        name="thread-no-reply-needed",
    ),
    path("threads/<int:pk>/status/", views.thread_status, name="thread-status"),
    path("threads/<int:pk>/details/", views.thread_details, name="thread-details"),
    # A clock's actions (threads/pages/clock_views.py): a breach reason, a moved due time, exempt.
    path(
        "threads/<int:thread_id>/clocks/<int:pk>/reason/",
        clock_views.clock_give_reason,
        name="thread-clock-give-reason",
    ),
    path(
        "threads/<int:thread_id>/clocks/<int:pk>/due/",
        clock_views.clock_move_due,
        name="thread-clock-move-due",
    ),
    path(
        "threads/<int:thread_id>/clocks/<int:pk>/exempt/",
        clock_views.clock_exempt,
        name="thread-clock-exempt",
    ),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification-read"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications-read-all"),
    # The parts that update themselves (threads/pages/live.py) and opening a notification.
    path("threads/<int:pk>/live/", live.thread_live, name="thread-live"),
    path("notifications/bell/", live.bell, name="notifications-bell"),
    path("notifications/<int:pk>/open/", live.notification_open, name="notification-open"),
]
