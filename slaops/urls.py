"""URL map: the admin for managers, the REST API for integrators; agent pages arrive later."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

admin.site.site_header = "SLA Ops"
admin.site.site_title = "SLA Ops"
admin.site.index_title = "Configuration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("threads.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
