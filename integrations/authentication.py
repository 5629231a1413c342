"""How integrations authenticate to the API: `Authorization: Api-Key slaops_….…`.

A valid key authenticates as no person (request.user is anonymous) with the key as request.auth;
a key that is unknown, revoked or expired is a 401, never a fall-through to another method.
Keys are read through the process's short-lived cache (integrations.models.KEY_CACHE_SECONDS):
the hash check and the expiry still run on every request."""

from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_api_key.permissions import KeyParser

from integrations.models import IntegrationKey


def integration_key(request) -> IntegrationKey | None:
    """The key a request authenticated with, if any."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, IntegrationKey) else None


class IntegrationKeyAuthentication(BaseAuthentication):
    keyword = KeyParser.keyword  # "Api-Key", the library's header scheme

    def authenticate(self, request):
        key = KeyParser().get_from_authorization(request)
        if key is None:
            return None  # not an Api-Key header: let the session try
        try:
            api_key = IntegrationKey.objects.get_from_recent_key(key.strip())
        except IntegrationKey.DoesNotExist:
            raise AuthenticationFailed("Unknown or revoked API key.") from None
        if api_key.has_expired:
            raise AuthenticationFailed("This API key has expired.")
        api_key.touch()
        return AnonymousUser(), api_key

    def authenticate_header(self, request) -> str:
        return self.keyword
