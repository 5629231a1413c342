from django.apps import AppConfig


class SlaopsConfig(AppConfig):
    name = "slaops"
    verbose_name = "SLA Ops"

    def ready(self):
        from django.db.models.signals import post_migrate

        from slaops.schedules import ensure_schedules_after_migrate

        post_migrate.connect(ensure_schedules_after_migrate, sender=self)
