from django.apps import AppConfig
from django.db.models.signals import pre_delete


class ThreadsConfig(AppConfig):
    name = "threads"
    verbose_name = "Threads and SLA clocks"

    def ready(self):
        import slaops.postgresql.lookups  # noqa: F401  (field__any_of, used by the evaluator)
        from threads.reapply import on_team_deleted

        # However a team is deleted (admin, shell), the threads it holds leave it by the rules.
        pre_delete.connect(on_team_deleted, sender="accounts.Team", dispatch_uid="team-removed")
