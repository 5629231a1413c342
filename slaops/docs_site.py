"""The documentation site at /docs/: the Sphinx build of docs/ (`make docs`, built once by
`make run` into var/docs), served read-only to anyone, signed in or not (it holds no secrets).

Files are served by Django's own static view (its path joining keeps every request inside
the build); a directory answers its index.html. The pages pass through the product's middleware,
so they carry its Content-Security-Policy: the build has no inline script (docs/_templates).
"""

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe
from django.views.static import serve

NOT_BUILT = (
    "<!doctype html><title>Documentation not built</title>"
    "<p>The documentation is not built on this server: run <code>make docs</code>."
)


def docs_root():
    # Where `make docs` and `make run` build the site: var/docs (SLAOPS_VAR_DIR/docs); a
    # DOCS_ROOT setting names another directory.
    return getattr(settings, "DOCS_ROOT", None) or settings.VAR_DIR / "docs"


@require_safe
def docs(request, path: str = ""):
    root = docs_root()
    if not (root / "index.html").is_file():
        return HttpResponse(NOT_BUILT, status=404)
    if any(part.startswith(".") for part in path.split("/")):
        raise Http404("No such page")  # Sphinx's own files (.doctrees, .buildinfo) are not pages
    if path == "" or path.endswith("/"):
        path += "index.html"
    try:
        response = serve(request, path, document_root=root)
    except SuspiciousFileOperation:  # a path that leaves DOCS_ROOT ("../"): nothing here
        raise Http404("No such page") from None
    response["Cache-Control"] = "public, max-age=300"
    return response
