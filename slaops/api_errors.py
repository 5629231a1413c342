"""The API's errors, all in one documented shape: `{"errors": {field: [rule, ...]}, "detail": …,
"request_id": …}`.

`errors` names each request field at fault with its broken rules (empty when no field is at
fault: a 404, a 405, a 429…); `detail` says it in one sentence; `request_id` is the request's id
(slaops/request_ids.py, also the X-Request-ID header), to find its log lines. The views'
exceptions are shaped by `exception_handler`, the middleware's refusals by `error_response`, and
`ApiSchema` puts the same shape into the OpenAPI schema for every status an operation can answer.
"""

from http import HTTPStatus

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from slaops import request_ids
from slaops.errors import ThreadError
from threads.api.fields import ErrorSerializer

NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY
FIELD_DETAIL = "Invalid input: see errors by field."
MAX_MESSAGES_PER_FIELD = 10


def error_body(detail: str, errors: dict | None = None) -> dict:
    body = {"errors": errors or {}, "detail": detail}
    if request_ids.current():
        body["request_id"] = request_ids.current()
    return body


def error_response(code: int, detail: str, errors: dict | None = None) -> JsonResponse:
    """An answer given before (or instead of) a view: the middleware's limits, unknown URLs."""
    # Compact, as DRF renders the views' errors.
    return JsonResponse(
        error_body(detail, errors), status=code, json_dumps_params={"separators": (",", ":")}
    )


def status_detail(code: int) -> str:
    return f"{HTTPStatus(code).phrase}." if code in HTTPStatus._value2member_map_ else "Error."


def flat_errors(errors) -> dict[str, list[str]]:
    """DRF nests the errors of a list's items (`{"email_domains": {1: ["…"]}}`) and of nested
    objects; the documented shape keeps one flat list of messages per request field, each
    message saying where inside the field it applies: "Item 2: Not a domain."."""
    if not isinstance(errors, dict):
        return {NON_FIELD: _at_most(_messages(errors))}
    return {str(field): _at_most(_messages(value)) for field, value in errors.items()}


def _at_most(messages: list[str]) -> list[str]:
    # A list of 100,000 bad items gets a short answer, not one message per item.
    if len(messages) <= MAX_MESSAGES_PER_FIELD:
        return messages
    rest = len(messages) - MAX_MESSAGES_PER_FIELD
    return [*messages[:MAX_MESSAGES_PER_FIELD], f"… and {rest} more."]


def _messages(value, where: tuple[str, ...] = ()) -> list[str]:
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        items = enumerate(value)  # a list of objects: one entry per item, {} where it is fine
    else:
        prefix = f"{', '.join(where)}: " if where else ""
        items = value if isinstance(value, list) else [value]
        return [f"{prefix}{message}" for message in items]
    messages = []
    for key, inner in items:
        label = _label(key)
        messages += _messages(inner, (*where, label) if label else where)
    return messages


def _label(key) -> str:
    if isinstance(key, int):
        return f"Item {key + 1}"  # counted from 1, as a person reads a list
    return "" if key == NON_FIELD else str(key)


def exception_handler(exc, context):
    if isinstance(exc, ThreadError):
        return Response(error_body(exc.message, {exc.field: [exc.message]}), status=400)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages}
        return Response(error_body(FIELD_DETAIL, flat_errors(errors)), status=400)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: Django answers 500 (the middleware makes it JSON)
    response.data = _shaped(response.status_code, response.data)
    return response  # headers (Allow, Retry-After, WWW-Authenticate) stay as DRF set them


def _shaped(code: int, data) -> dict:
    if isinstance(data, dict) and set(data) == {"detail"}:
        message = str(data["detail"])
        if code == status.HTTP_400_BAD_REQUEST:
            # Not a field's fault (e.g. malformed JSON), yet the request's: say it in both places.
            return error_body(message, {NON_FIELD: [message]})
        return error_body(message)
    return error_body(FIELD_DETAIL if code == 400 else status_detail(code), flat_errors(data))


ERROR_STATUSES = {
    400: "A field or the body breaks a rule; see errors.",
    401: "No credentials, or credentials that are not valid.",
    403: "These credentials may not do this.",
    404: "No such object, page or address.",
    413: "The body is larger than the API accepts.",
    415: "The body is not JSON (Content-Type: application/json).",
    429: "Too many requests; wait for the seconds in Retry-After.",
}


class ApiSchema(AutoSchema):
    """drf-spectacular's schema, plus the errors each operation can answer, in the one shape."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_statuses():
            responses.setdefault(
                str(code),
                self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_STATUSES[code]), str(code)
                ),
            )
        return responses

    def _error_statuses(self) -> list[int]:
        writes = self.method in ("POST", "PUT", "PATCH")
        codes = [401, 403, 429]
        if writes or self.get_override_parameters():
            codes.append(400)  # a body, or query filters
        if "{" in self.path or self.method == "GET":
            codes.append(404)  # a path parameter that names nothing, a page past the end
        if writes:
            codes += [413, 415]
        return sorted(codes)
