"""API rate limits per key and per user (placeholder)."""

from rest_framework.throttling import UserRateThrottle


class PerClientRateThrottle(UserRateThrottle):
    pass
