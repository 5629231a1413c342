"""Managers' report pages under /reports/."""

from django.urls import path

from threads import report_views

app_name = "reports"
urlpatterns = [path("", report_views.compliance, name="compliance")]
