from django.apps import AppConfig


class SlaopsConfig(AppConfig):
    name = "slaops"
    verbose_name = "SLA Ops"

    def ready(self):
        from django.contrib import admin
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django.core.signals import request_finished
        from django.db.models.signals import post_migrate
        from django_q.signals import post_execute_in_worker, pre_enqueue, pre_execute

        from slaops import checks  # noqa: F401 - registers the database checks
        from slaops.admin_door import welcome_the_signed_in
        from slaops.admin_lookups import guard
        from slaops.login_throttle import count_failure, remember_device
        from slaops.request_ids import forget, task_enqueued, task_finished, task_starting
        from slaops.schedules import ensure_schedules_after_migrate

        user_login_failed.connect(count_failure, dispatch_uid="slaops-login-throttle")
        user_logged_in.connect(remember_device, dispatch_uid="slaops-login-device")

        # A request's id travels with the tasks it queues (slaops/request_ids.py).
        pre_enqueue.connect(task_enqueued, dispatch_uid="slaops-request-id")
        pre_execute.connect(task_starting, dispatch_uid="slaops-request-id")
        post_execute_in_worker.connect(task_finished, dispatch_uid="slaops-request-id")
        request_finished.connect(forget, dispatch_uid="slaops-request-id")
        # No sender: the handler acts once, on the last app's signal (every app's tables
        # migrated by then).
        post_migrate.connect(ensure_schedules_after_migrate, dispatch_uid="slaops-timetable")
        # The admin loaded every app's admin module before this app's ready(): guard them all.
        guard(admin.site)
        welcome_the_signed_in(admin.site)
