"""/status: the health of SLA Ops for monitoring, as JSON; 200 unless a critical check fails.

Everyone learns the overall state ("ok", "degraded", "failing"); the checks and their figures
only staff and a caller with `Authorization: Bearer <METRICS_TOKEN>`. Nothing in either answer
names a host or holds a secret or an error message.
"""

import hmac

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from slaops.health.checks import FAILING, overall, run_checks


def may_read_detail(request) -> bool:
    user = request.user
    if user.is_authenticated and user.is_active and user.is_staff:
        return True
    return bearer_token_matches(request.META.get("HTTP_AUTHORIZATION", ""))


def bearer_token_matches(header: str) -> bool:
    """`Bearer <METRICS_TOKEN>`, compared in constant time; never true without a token set."""
    token = settings.METRICS_TOKEN
    scheme, _, given = header.partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


@require_safe
def status(request):
    now = timezone.now()
    results = run_checks(now)
    state = overall(results)
    body = {"status": state}
    if may_read_detail(request):
        body["checked_at"] = now.isoformat()
        body["checks"] = {check.name: check.as_json() for check in results}
    response = JsonResponse(body, status=503 if state == FAILING else 200)
    response["Cache-Control"] = "no-store"
    return response
