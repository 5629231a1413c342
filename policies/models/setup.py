"""The getting-started checklist's steps that no configuration row shows (a preview was run):
kept in the database, so a tick survives logging out and is the same for every manager."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class SetupStep(models.Model):
    """A checklist step done once: which, when and by whom (the first time only)."""

    PREVIEWED = "previewed"  # a deadline preview or what-if was shown

    step = models.CharField(max_length=40, unique=True)
    done_at = models.DateTimeField(default=timezone.now)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.step} at {self.done_at:%Y-%m-%d %H:%M}"

    @classmethod
    def tick(cls, step: str, user=None) -> None:
        """Mark `step` done (idempotent; the first tick is kept)."""
        if not cls.objects.filter(step=step).exists():
            done_by = user if user is not None and user.is_authenticated else None
            cls.objects.get_or_create(step=step, defaults={"done_by": done_by})

    @classmethod
    def done(cls, step: str) -> bool:
        return cls.objects.filter(step=step).exists()
