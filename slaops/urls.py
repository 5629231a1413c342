"""URL map: the agents' pages at the root, the admin for managers, the REST API for integrators."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from slaops.docs_site import docs
from slaops.health import probes
from slaops.health.views import status
from slaops.metrics.views import metrics
from threads.pages.views import home

admin.site.site_header = "SLA Ops"
admin.site.site_title = "SLA Ops"
admin.site.index_title = "Configuration"


def _probe(answer):
    # Answered by the first middleware (slaops/health/probes.py); named here for reverse() and
    # the permission matrix.
    return lambda request: probes.as_response(*answer())


urlpatterns = [
    path("", home, name="home"),
    path("healthz", _probe(probes.liveness), name="healthz"),
    path("readyz", _probe(probes.readiness), name="readyz"),
    path("startupz", _probe(probes.start_up), name="startupz"),
    path("status", status, name="status"),
    path("metrics", metrics, name="metrics"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    path("", include("threads.pages.urls")),
    path("", include("objectives.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("threads.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (?script): no inline script,
    # so the page runs under the Content-Security-Policy.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("reports/", include("threads.reports.urls")),
    # The documentation site (make docs), read-only and public.
    path("docs/", docs, name="docs"),
    path("docs/<path:path>", docs, name="docs-file"),
    path("", include("mail.urls")),
    path("integrations/slack/", include("slackapp.urls")),
]
