"""Reads about a person on the support side."""

from django.conf import settings

from accounts.models import AgentProfile


def viewer_zone(user) -> str:
    """The zone a person reads times in: their profile's, else the site default."""
    zone = (
        AgentProfile.objects.filter(user_id=user.pk).values_list("time_zone", flat=True).first()
        if getattr(user, "pk", None)
        else None
    )
    return zone or settings.TIME_ZONE
