from django.urls import path

from slackapp import views

urlpatterns = [path("events/", views.events, name="slack-events")]
