from django.apps import AppConfig


class SlaopsConfig(AppConfig):
    name = "slaops"
    verbose_name = "SLA Ops"

    def ready(self):
        from django.contrib import admin
        from django.db.models.signals import post_migrate

        from slaops import checks  # noqa: F401  (registers the system checks)
        from slaops.admin_lookups import guard
        from slaops.schedules import ensure_schedules_after_migrate

        post_migrate.connect(ensure_schedules_after_migrate, sender=self)
        # The admin loaded every app's admin module before this app's ready(): guard them all.
        guard(admin.site)
