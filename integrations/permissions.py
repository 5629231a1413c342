"""Who may call which API endpoint (placeholder until role permissions land)."""

from rest_framework.permissions import IsAuthenticated


class RolePermissions(IsAuthenticated):
    pass
