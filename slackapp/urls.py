from django.urls import path

from slackapp import views

urlpatterns = [
    path("events/", views.events, name="slack-events"),
    path("interactivity/", views.interactivity, name="slack-interactivity"),
    path("commands/", views.commands, name="slack-commands"),
]
