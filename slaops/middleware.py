"""What the API accepts before any view runs, and how it answers when no view does.

Under /api/: a body larger than SLA_API_MAX_BODY_BYTES is a 413 and JSON nested deeper than
SLA_API_MAX_JSON_DEPTH a 400, both decided before anything parses the body (Python's JSON parser
recurses, so a deep enough document would otherwise end in RecursionError); an address missing
its trailing slash is a 308 to the address with it (Django's APPEND_SLASH answers 301, after
which clients repeat a POST as a GET without its body, or 500 in DEBUG); and an error that
Django answers itself (an unknown URL, a 500) is turned from an HTML page into the API's JSON.
"""

import codecs
import json
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http.response import HttpResponseRedirectBase
from django.urls import is_valid_path

from slaops.api_errors import NON_FIELD, error_body, error_response, status_detail
from slaops.ids import parse_id

API_PREFIX = "/api/"

# One pass over the body: a backslash escape (two bytes, so an escaped quote does not end a
# string), a quote, or a bracket. Linear however the body is built.
_JSON_TOKENS = re.compile(rb'\\.|["\[\]{}]', re.DOTALL)
_OPENERS = frozenset(b"[{")
_CLOSERS = frozenset(b"]}")


def json_deeper_than(body: bytes, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` deep, brackets inside strings aside.

    `body` is UTF-8 (or any encoding where ASCII bytes mean ASCII characters); whether it is
    valid JSON at all is left to the parser."""
    depth, in_string = 0, False
    for match in _JSON_TOKENS.finditer(body):
        token = match.group()
        if token == b'"':
            in_string = not in_string
        elif in_string or len(token) == 2:
            continue
        elif token[0] in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        elif token[0] in _CLOSERS:
            depth -= 1
    return False


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:g} MiB" if size >= 1024 * 1024 else f"{size} bytes"


class ApiRequestLimits:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        response = (
            self.refusal(request) or self.missing_slash(request) or self.get_response(request)
        )
        if response.status_code >= 400 and "json" not in response.get("Content-Type", ""):
            response = self.as_json(response)
        return response

    def refusal(self, request):
        max_bytes = settings.SLA_API_MAX_BODY_BYTES
        raw_length = request.META.get("CONTENT_LENGTH") or ""
        if not raw_length:
            if request.META.get("HTTP_TRANSFER_ENCODING", "identity").lower() != "identity":
                # A WSGI server hands Django no chunked body (it would be read as empty), and an
                # ASGI one would hand all of it: ask for the length, which the limit can check.
                return error_response(411, "Send the body with a Content-Length header.")
            return None
        length = parse_id(raw_length, allow_zero=True)  # ASCII digits: " 3" and "٣" are no length
        if length is None:
            return error_response(400, "Content-Length is not a number of bytes.")
        if length > max_bytes:
            return _too_large(max_bytes)
        if length == 0 or not _is_json(request.content_type):
            return None
        try:
            body = request.body  # at most max_bytes: the length was checked
        except RequestDataTooBig:  # Django's own limit (DATA_UPLOAD_MAX_MEMORY_SIZE) is lower
            return _too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        body = _as_utf8(body, request.content_params.get("charset", ""))
        max_depth = settings.SLA_API_MAX_JSON_DEPTH
        if json_deeper_than(body, max_depth):
            message = f"JSON nested deeper than {max_depth} levels of arrays and objects."
            return error_response(400, message, {NON_FIELD: [message]})
        return None

    @staticmethod
    def missing_slash(request):
        """308 Permanent Redirect keeps the method and the body: a client that follows it sends
        the same request again to the right address; one that does not reads why in JSON."""
        path = request.path_info
        if not settings.APPEND_SLASH or path.endswith("/"):
            return None
        urlconf = getattr(request, "urlconf", None)
        if is_valid_path(path, urlconf) or not is_valid_path(f"{path}/", urlconf):
            return None  # a real endpoint, or nothing with a slash either: a 404
        location = request.get_full_path(force_append_slash=True)
        detail = (
            f"This endpoint's address ends with a slash: {location}. Nothing was done here; "
            "send the same request there (a client that follows 308 does so itself)."
        )
        return _Moved(
            location,
            content=json.dumps(error_body(detail), separators=(",", ":")),
            content_type="application/json",
        )

    @staticmethod
    def as_json(response):
        """Django's own error pages (an unknown URL, a server error, a bad Host) as API JSON."""
        code = response.status_code
        detail = {
            404: "Not found: no API endpoint at this address.",
            500: "Server error: the request was not completed; try again later.",
        }.get(code, status_detail(code))
        shaped = error_response(code, detail)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                shaped[header] = response[header]
        return shaped


class _Moved(HttpResponseRedirectBase):
    status_code = 308  # Permanent Redirect: the method and the body are kept


def _too_large(max_bytes: int):
    return error_response(
        413, f"The body is larger than the API accepts: at most {_mib(max_bytes)}."
    )


def _as_utf8(body: bytes, charset: str) -> bytes:
    """The scan reads ASCII bytes; a body in another encoding (UTF-16…) is read as text first."""
    try:
        name = codecs.lookup(charset or "utf-8").name
    except LookupError:
        return body  # the parser refuses an unknown charset: nothing is nested
    return body if name == "utf-8" else body.decode(name, errors="replace").encode()
