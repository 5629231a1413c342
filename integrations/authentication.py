"""How integrations authenticate to the API (placeholder until API keys land)."""

from rest_framework.authentication import TokenAuthentication


class IntegrationKeyAuthentication(TokenAuthentication):
    pass
