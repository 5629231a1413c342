"""Routes of the mail app: providers' inbound webhooks, attachments, retrying a reply."""

from django.urls import path

from mail import views, webhooks

urlpatterns = [
    path("mail/attachments/<int:pk>/", views.attachment, name="mail-attachment"),
    path("mail/outbound/<int:pk>/retry/", views.outbound_retry, name="mail-retry"),
    *(
        path(f"mail/inbound/{provider}/", webhooks.inbound_view(provider), name=f"mail-{provider}")
        for provider in webhooks.PROVIDERS
    ),
]
