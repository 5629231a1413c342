"""Who may call which API endpoint.

People: their role's Django model permissions, reading included (GET needs `view_…`, which DRF's
DjangoModelPermissions does not ask for), so an account without a role is refused everywhere.
Integration keys: only the views that say what a key may do there (`integration_access`), and
those views limit keys to their source's threads.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from integrations.authentication import integration_key

READ = "read"
WRITE = "write"

ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}
# A view without a model (the API root) needs the permission every role has.
ANY_ROLE = "threads.view_thread"


def required_permissions(request, view) -> list[str]:
    """`app.action_model` for the view's model and the request's method; a view may name
    another action for one of its endpoints (`action_permissions = {"no_reply_needed":
    "change"}`: that POST changes a thread, it adds none)."""
    model = _model(view)
    if model is None:
        return [ANY_ROLE]
    action = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
    action = action or ACTIONS.get(request.method)
    if action is None:
        return [f"{model._meta.app_label}.__no_such_permission__"]
    return [f"{model._meta.app_label}.{action}_{model._meta.model_name}"]


def _model(view):
    model = getattr(view, "permission_model", None)
    if model is not None:
        return model
    queryset = getattr(view, "queryset", None)
    return queryset.model if queryset is not None else None


class RolePermissions(BasePermission):
    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        key = integration_key(request)
        if key is not None:
            access = getattr(view, "integration_access", None)
            if access == WRITE or (access == READ and request.method in SAFE_METHODS):
                return True
            self.message = (
                "Integration keys may only read here."
                if access == READ
                else "Integration keys may not use this endpoint."
            )
            return False
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        return user.has_perms(required_permissions(request, view))
