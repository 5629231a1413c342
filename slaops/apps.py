from django.apps import AppConfig


class SlaopsConfig(AppConfig):
    name = "slaops"
    verbose_name = "SLA Ops"
