"""A bounded fuzzing pass over the whole API (schemathesis, against the app's own OpenAPI schema):
every operation is called with generated valid and invalid input as a signed-in manager, and
fails on any 5xx and on any answer the schema does not describe (status, content type, body).

The budget is fixed and the generation derandomized, so the pass takes the same few seconds on
every run; a failure prints the request that reproduces it."""

import json

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.utils.crypto import get_random_string
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Account, Contact
from tests.factories import policy, tier
from threads import services

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 25
# The ids of the objects the fixture seeds, by the first word of the path after /api/v1/.
SEEDED: dict[str, int] = {}


@pytest.fixture
def app():
    """Django's WSGI app, called in this thread on the test's database connection: like the
    test client, it must not close that connection at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def api_schema():
    """The schema /api/schema/ serves, built here (no request, no database) as collection needs."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    config = schemathesis.Config.from_dict(
        # The coverage phase's boundary values (longest strings, extreme numbers and times)
        # for valid input; the fuzzing phase draws both valid and invalid input.
        {"phases": {"coverage": {"generation": {"mode": "positive"}}}}
    )
    return schemathesis.openapi.from_dict(
        json.loads(OpenApiJsonRenderer().render(document)), config=config
    )


@pytest.fixture
def manager_session(manager):
    """A manager's session, and the CSRF token session-authenticated writes need."""
    tier("Free", default=True)
    policy("Standard", targets=[("first_response", "", 60), ("resolution", "", 480)])
    acme = Account.objects.create(name="Acme", email_domains=["acme.com"])
    ann = Contact.objects.create(email="ann@acme.com", name="Ann", account=acme)
    thread = services.thread_create(subject="Printer on fire", first_message="Help", contact=ann)
    SEEDED.update(threads=thread.thread.pk, accounts=acme.pk, contacts=ann.pk)
    client = Client()
    client.force_login(manager)
    csrf = get_random_string(32)  # what Django keeps in the cookie
    return {
        "cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf},
        "headers": {"X-CSRFToken": csrf},
    }


schema = api_schema()


@schema.hook
def map_path_parameters(context, path_parameters):
    """Every other generated id names an object that exists, so the calls reach the views'
    rules, not only their 404s."""
    resource = context.operation.path.split("/")[3]
    for name, value in (path_parameters or {}).items():
        # Ids are strings of digits in the schema (the URLs' pattern); an even one is mapped.
        even = isinstance(value, str) and value.isascii() and value[-1:] in "02468"
        if value and even and value.isdigit() and resource in SEEDED:
            path_parameters[name] = str(SEEDED[resource])
    return path_parameters


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_every_generated_call_as_its_schema_says(case, app, manager_session):
    case.call_and_validate(app=app, checks=CHECKS, **manager_session)
