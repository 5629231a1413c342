from django.apps import AppConfig


class SlackAppConfig(AppConfig):
    name = "slackapp"
    verbose_name = "Slack"
    default_auto_field = "django.db.models.BigAutoField"
