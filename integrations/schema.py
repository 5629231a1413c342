"""How the OpenAPI schema (and Swagger UI's "Authorize") describes integration keys."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class IntegrationKeyScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.authentication.IntegrationKeyAuthentication"
    name = "integrationKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'An integration API key: "Api-Key slaops_….…". It creates and '
            "changes only threads of its own source.",
        }
