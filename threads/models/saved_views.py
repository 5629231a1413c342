"""Saved inbox views: a name and the inbox's query string, kept for one agent or shared with a
team. The built-in views (mine, my team's, unassigned, breaching) live in code, not here."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class SavedView(models.Model):
    name = models.CharField(max_length=80)
    query = models.CharField(
        max_length=1000, blank=True, help_text="The inbox's filters and sort, as in its URL."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_inbox_views",
        help_text="Who saved it (and may delete it).",
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="saved_inbox_views",
        help_text="Shared with this team's members; empty = only its owner sees it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "saved inbox view"
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name"], condition=Q(team=None), name="saved_view_unique_mine"
            ),
            models.UniqueConstraint(
                fields=["team", "name"], condition=~Q(team=None), name="saved_view_unique_team"
            ),
        ]

    def __str__(self) -> str:
        return self.name
