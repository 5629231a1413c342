"""Managers' report pages under /reports/."""

from django.urls import path

from threads.reports import views

app_name = "reports"
urlpatterns = [path("", views.compliance, name="compliance")]
