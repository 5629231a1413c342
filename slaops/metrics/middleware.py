"""HTTP request latency by view: the resolved URL's name ("threads:detail", "admin:index"),
never the path (ids and searches in paths would make a series per thread). A request no URL
matched is "unresolved". Probes are answered before this middleware and are not timed."""

import time

from slaops.metrics.instruments import request_answered


class RequestLatency:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name if match is not None else "") or "unresolved"
        request_answered(view, request.method or "", time.perf_counter() - started)
        return response
