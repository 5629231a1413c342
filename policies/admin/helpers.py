"""Small helpers the admin screens share."""

from django.contrib.admin.widgets import AdminTimeWidget
from django.db import models
from django.utils import timezone

from accounts.models import AgentProfile


def viewer_zone(request) -> str:
    profile = AgentProfile.objects.filter(user_id=request.user.pk).first()
    return profile.time_zone if profile else timezone.get_default_timezone_name()


HH_MM = {models.TimeField: {"widget": AdminTimeWidget(format="%H:%M")}}
