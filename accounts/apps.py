from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Customers and teams"

    def ready(self):
        from django.db.models.signals import post_migrate

        from accounts.roles import sync_role_groups_after_migrate

        # Later migrations add models; their permissions must reach the role groups too.
        post_migrate.connect(sync_role_groups_after_migrate, sender=self)
