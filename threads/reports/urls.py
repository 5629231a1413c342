"""Managers' report pages under /reports/."""

from django.urls import path

from threads.reports import statement, views

app_name = "reports"
urlpatterns = [
    path("", views.compliance, name="compliance"),
    path("statement/<int:account_id>/", statement.page, name="statement"),
]
