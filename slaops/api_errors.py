"""API errors as JSON that name the field and the rule; a rule broken in a service is a 400."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from threads.services import ThreadError

log = logging.getLogger(__name__)


def exception_handler(exc, context):
    if isinstance(exc, ThreadError):
        return Response(
            {"errors": {exc.field: [exc.message]}, "detail": exc.message},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DjangoValidationError):
        errors = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response({"errors": errors, "detail": "Invalid input."}, status=400)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if response.status_code == 429:  # no field at fault: say it in detail, Retry-After stays
        response.data = {"errors": {}, "detail": str(response.data["detail"])}
        return response
    if response.status_code == 400 and isinstance(response.data, dict | list):
        data = response.data
        if isinstance(data, dict) and set(data) == {"detail"} and isinstance(data["detail"], str):
            # Not a field's fault (e.g. malformed JSON): say what is wrong in both places.
            message = str(data["detail"])
            response.data = {"errors": {"non_field_errors": [message]}, "detail": message}
            return response
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        response.data = {"errors": errors, "detail": "Invalid input: see errors by field."}
    return response
