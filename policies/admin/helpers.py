"""Small helpers the admin screens share."""

from django.contrib.admin.widgets import AdminTimeWidget
from django.db import models

from accounts.selectors import viewer_zone as person_zone


def viewer_zone(request) -> str:
    """The zone the person behind `request` reads times in (accounts.selectors.viewer_zone)."""
    return person_zone(request.user)


HH_MM = {models.TimeField: {"widget": AdminTimeWidget(format="%H:%M")}}
