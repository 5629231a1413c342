from django.urls import path

from slackapp import oauth, views

urlpatterns = [
    path("events/", views.events, name="slack-events"),
    path("interactivity/", views.interactivity, name="slack-interactivity"),
    path("commands/", views.commands, name="slack-commands"),
]

# "Add to Slack" (slackapp/oauth.py): superusers only.
urlpatterns += [
    path("install/", oauth.install, name="slack-install"),
    path("oauth/callback/", oauth.callback, name="slack-oauth-callback"),
]
