from django.apps import AppConfig


class SlaopsConfig(AppConfig):
    name = "slaops"
    verbose_name = "SLA Ops"

    def ready(self):
        from django.db.models.signals import post_migrate

        from slaops import checks  # noqa: F401 - registers the database checks
        from slaops.schedules import ensure_schedules_after_migrate

        # No sender: this app has no models, so Django never sends it post_migrate; the handler
        # acts once, on the last app's signal.
        post_migrate.connect(ensure_schedules_after_migrate, dispatch_uid="slaops-timetable")
