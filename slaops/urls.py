"""URL map: the admin for managers; agent pages and the API arrive with their issues."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "SLA Ops"
admin.site.site_title = "SLA Ops"
admin.site.index_title = "Configuration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
