"""/metrics: the Prometheus text format, for the callers slaops.metrics.access lets in; 403
with no figure for everyone else."""

from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from slaops.metrics.access import may_read_metrics
from slaops.metrics.exposition import web_page


@require_safe
def metrics(request):
    if not may_read_metrics(request):
        return HttpResponseForbidden("Forbidden\n", content_type="text/plain")
    response = HttpResponse(web_page(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
