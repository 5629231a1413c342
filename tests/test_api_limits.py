"""The API never answers 500 or HTML: what it refuses before any view runs (too big, too deep,
no length), times outside sane years, strings longer than their columns, and every 4xx in the
documented JSON shape `{"errors": {field: [rule, ...]}, "detail": "…"}`."""

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import User
from django.http import HttpResponseServerError
from django.test import RequestFactory
from rest_framework import serializers
from rest_framework.exceptions import Throttled
from rest_framework.test import APIClient

from accounts.models import Account, Contact
from slaops.api_errors import exception_handler
from slaops.middleware import ApiRequestLimits, json_deeper_than
from tests.factories import policy, tier
from threads.models import Message, Thread

pytestmark = pytest.mark.django_db
THREADS = "/api/v1/threads/"
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


@pytest.fixture
def api(manager):
    client = APIClient()
    client.force_login(manager)
    return client


@pytest.fixture
def thread(api):
    tier("Free", default=True)
    policy("Standard")
    with time_machine.travel(NOW, tick=False):
        response = api.post(THREADS, {"subject": "Printer on fire", "message": "Help"}, "json")
    assert response.status_code == 201
    return response.json()


def post_raw(api, body: bytes, path=THREADS, content_type="application/json", **extra):
    return api.generic("POST", path, body, content_type=content_type, **extra)


def assert_shaped(response, code, errors=None):
    """The documented shape, as JSON, with the given field errors ({} = no field at fault)."""
    assert response.status_code == code, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"errors", "detail", "request_id"} and body["detail"]
    assert body["request_id"] == response["X-Request-ID"]
    assert all(
        isinstance(v, list) and all(isinstance(m, str) for m in v) for v in body["errors"].values()
    )
    if errors is not None:
        assert list(body["errors"]) == errors, body
    return body


# ------------------------------------------------------------------------ before any view


def test_json_nested_five_thousand_deep_is_a_400_naming_the_rule(api):
    body = assert_shaped(post_raw(api, b"[" * 5000 + b"]" * 5000), 400, ["non_field_errors"])
    assert body["detail"] == "JSON nested deeper than 20 levels of arrays and objects."
    deep_object = b'{"subject": ' * 3000 + b"1" + b"}" * 3000
    assert_shaped(post_raw(api, deep_object), 400, ["non_field_errors"])


def test_json_as_deep_as_the_limit_reaches_the_view(api):
    nested = b'{"message": "Help", "subject": ' + b"[" * 19 + b"]" * 19 + b"}"  # 20 levels
    body = assert_shaped(post_raw(api, nested), 400, ["subject"])  # the view's own rule
    assert body["errors"]["subject"] == ["Not a valid string."]


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = json.dumps({"message": "[" * 100 + '\\"{' * 100, "x": [[["\\"]]]}).encode()
    assert not json_deeper_than(text, 4)  # the object and three lists
    assert json_deeper_than(text, 3)
    assert not json_deeper_than(b'"\\\\" [[1]]', 2)  # an escaped backslash ends no string


def test_a_body_over_the_limit_is_a_413_naming_the_limit(api):
    body = assert_shaped(post_raw(api, b'{"message": "' + b"x" * (3 * 1024 * 1024) + b'"}'), 413)
    assert body["detail"] == "The body is larger than the API accepts: at most 1 MiB."
    assert Thread.objects.count() == 0


def test_the_body_limit_is_checked_before_authentication():
    assert_shaped(post_raw(APIClient(), b"x" * (2 * 1024 * 1024)), 413)


def test_a_chunked_body_without_a_length_is_a_411():
    request = RequestFactory().post(THREADS, b"{}", content_type="application/json")
    del request.META["CONTENT_LENGTH"]
    request.META["HTTP_TRANSFER_ENCODING"] = "chunked"
    response = ApiRequestLimits(lambda r: pytest.fail("reached the view"))(request)
    assert response.status_code == 411
    assert json.loads(response.content)["detail"] == "Send the body with a Content-Length header."


def test_a_content_length_that_is_not_a_number_is_a_400():
    request = RequestFactory().post(THREADS, b"{}", content_type="application/json")
    request.META["CONTENT_LENGTH"] = "-5"
    response = ApiRequestLimits(lambda r: pytest.fail("reached the view"))(request)
    assert response.status_code == 400


def test_a_utf16_body_is_scanned_as_text(api):
    deep = ("[" * 100 + "]" * 100).encode("utf-16")
    assert_shaped(post_raw(api, deep, content_type="application/json; charset=utf-16"), 400)


def test_unparseable_json_is_a_400_in_the_shape(api):
    body = assert_shaped(post_raw(api, b'{"subject": '), 400, ["non_field_errors"])
    assert "JSON" in body["detail"]


def test_a_body_that_is_not_json_is_a_415_in_the_shape(api):
    assert_shaped(post_raw(api, b"subject=x", content_type="text/plain"), 415, [])


def test_djangos_own_refusals_are_json_too(api):
    # More form fields than DATA_UPLOAD_MAX_NUMBER_FIELDS: Django answers 400 itself.
    many = "&".join(f"f{n}=x" for n in range(1500)).encode()
    response = post_raw(api, many, content_type="application/x-www-form-urlencoded")
    assert_shaped(response, 400, [])
    assert_shaped(api.get(THREADS + "?" + "&".join(f"f{n}=1" for n in range(1500))), 400, [])


def test_pages_keep_their_own_limits(client):
    # Only /api/ is limited here; a login form is not an API body.
    response = client.post("/login/", {"username": "x", "password": "y"})
    assert response.status_code == 200


# -------------------------------------------------------------------------- every 4xx in JSON


@pytest.mark.parametrize(
    "path", ["/api/v1/threads/-1/", "/api/v1/threads/1/nothing/", "/api/v2/", "/api/"]
)
def test_an_unknown_api_address_is_a_json_404(api, path):
    body = assert_shaped(api.get(path), 404, [])
    assert body["detail"] == "Not found: no API endpoint at this address."


def test_an_unknown_thread_is_a_json_404(api):
    assert_shaped(api.get(f"{THREADS}999/"), 404, [])
    assert_shaped(api.post(f"{THREADS}999/messages/", {"author": "agent"}, "json"), 404, [])


def test_a_page_past_the_end_is_a_json_404(api):
    assert_shaped(api.get(THREADS, {"page": 99}), 404, [])


def test_a_method_not_allowed_is_a_json_405_with_allow(api, thread):
    response = api.put(f"{THREADS}{thread['id']}/", {}, "json")
    assert_shaped(response, 405, [])
    assert "PATCH" in response["Allow"]


def test_without_credentials_the_answer_is_json(db):
    assert APIClient().get(THREADS).status_code in (401, 403)
    assert_shaped(APIClient().get(THREADS), APIClient().get(THREADS).status_code, [])


def test_a_forbidden_write_is_a_json_403(agent):
    client = APIClient()
    client.force_login(agent)
    assert_shaped(client.post("/api/v1/accounts/", {"name": "Acme"}, "json"), 403, [])


def test_a_throttled_call_is_a_429_in_the_shape_with_retry_after():
    response = exception_handler(Throttled(wait=7), {})
    assert response.status_code == 429
    assert response["Retry-After"] == "7"
    assert response.data["errors"] == {} and "7 seconds" in response.data["detail"]


def test_a_server_error_page_becomes_json():
    request = RequestFactory().get(THREADS)
    response = ApiRequestLimits(lambda r: HttpResponseServerError("<h1>Server Error</h1>"))(request)
    assert response.status_code == 500
    assert json.loads(response.content) == {
        "errors": {},
        "detail": "Server error: the request was not completed; try again later.",
    }


def test_a_browser_asking_for_html_gets_json(api, thread):
    for path in (THREADS, f"{THREADS}{thread['id']}/", f"{THREADS}999/"):
        response = api.get(path, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
        assert response["Content-Type"] == "application/json", path
    assert_shaped(api.get(THREADS, HTTP_ACCEPT="text/html"), 406, [])


def test_the_docs_page_stays_html(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")


def test_errors_inside_a_list_are_flattened_naming_the_item(api):
    response = api.post(
        "/api/v1/accounts/", {"name": "Acme", "email_domains": ["acme.com", 5, "x" * 300]}, "json"
    )
    body = assert_shaped(response, 400, ["email_domains"])
    assert body["errors"]["email_domains"] == [
        "Item 2: Not a valid string.",
        "Item 3: Ensure this field has no more than 253 characters.",
    ]


def test_a_long_list_of_bad_items_gets_a_short_answer(api):
    response = api.post("/api/v1/accounts/", {"name": "Acme", "email_domains": [5] * 5000}, "json")
    messages = assert_shaped(response, 400, ["email_domains"])["errors"]["email_domains"]
    assert messages[0] == "Item 1: Not a valid string."
    assert len(messages) == 11 and messages[-1] == "… and 4990 more."


def test_a_models_own_rule_on_a_list_names_the_field(api):
    response = api.post("/api/v1/accounts/", {"name": "Acme", "email_domains": ["nodot"]}, "json")
    assert assert_shaped(response, 400, ["email_domains"])["errors"]["email_domains"] == [
        "Not a domain: nodot."
    ]


# ------------------------------------------------------------------------------ sane values


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+01:00",  # before datetime.min once in UTC
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59-01:00",  # after datetime.max once in UTC
        "9999-12-31T23:59:59Z",
        "1999-12-31T23:59:59Z",
        "2101-01-01T00:00:00Z",
    ],
)
def test_a_time_outside_sane_years_is_a_400_naming_the_field(api, thread, moment):
    created = api.post(THREADS, {"message": "Help", "created_at": moment}, "json")
    assert_shaped(created, 400, ["created_at"])
    assert created.json()["errors"]["created_at"] == [
        "Give a time between the years 2000 and 2100."
    ]
    message = api.post(
        f"{THREADS}{thread['id']}/messages/", {"author": "customer", "created_at": moment}, "json"
    )
    assert_shaped(message, 400, ["created_at"])
    for name in ("due_before", "due_after"):
        assert_shaped(api.get(THREADS, {name: moment}), 400, [name])
    assert Thread.objects.count() == 1 and Message.objects.count() == 1


def test_the_first_and_last_sane_moments_are_accepted_as_filters(api, thread):
    assert api.get(THREADS, {"due_after": "2000-01-01T00:00:00Z"}).status_code == 200
    assert api.get(THREADS, {"due_before": "2100-12-31T23:59:59Z"}).status_code == 200


def test_a_contact_email_longer_than_its_column_is_a_400(api, thread):
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".example.com"  # 258 characters
    assert len(email) > 254
    assert_shaped(
        api.post(THREADS, {"message": "Help", "contact_email": email}, "json"),
        400,
        ["contact_email"],
    )
    message = {"author": "customer", "contact_email": email}
    assert_shaped(
        api.post(f"{THREADS}{thread['id']}/messages/", message, "json"), 400, ["contact_email"]
    )
    assert_shaped(api.post("/api/v1/contacts/", {"email": email}, "json"), 400, ["email"])
    assert Contact.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"subject": "Printer\x00on fire"}, "subject"),
        ({"message": "Help\x00"}, "message"),
        ({"contact_name": "\x00"}, "contact_name"),
        ({"external_id": "ZD\x001"}, "external_id"),
        ({"source": "x" * 41}, "source"),
        ({"subject": "x" * 301}, "subject"),
        ({"external_id": "x" * 201}, "external_id"),
    ],
)
def test_text_the_database_cannot_store_is_a_400_naming_the_field(api, thread, fields, field):
    response = api.post(THREADS, {"message": "Help", **fields}, "json")
    assert_shaped(response, 400, [field])


def test_a_nul_in_a_filter_or_an_account_name_is_a_400(api):
    assert_shaped(api.get(THREADS, {"assignee": "1\x00"}), 400, ["assignee"])
    assert_shaped(api.post("/api/v1/accounts/", {"name": "Ac\x00me"}, "json"), 400, ["name"])
    assert Account.objects.count() == 0


# Which column each string of a plain (not model) serializer is written to. A model serializer's
# strings are checked against the model itself. An int is a limit for text kept inside a JSON
# column; None a text column without a length (bounded by SLA_API_MAX_BODY_BYTES).
COLUMNS = {
    "ThreadCreateSerializer": {
        "subject": Thread._meta.get_field("subject"),
        "message": Message._meta.get_field("body"),
        "contact_email": Contact._meta.get_field("email"),
        "contact_name": Contact._meta.get_field("name"),
        "source": Thread._meta.get_field("source"),
        "external_id": Thread._meta.get_field("external_id"),
        "message_external_id": Message._meta.get_field("external_id"),
    },
    "ThreadChangeSerializer": {
        "subject": Thread._meta.get_field("subject"),
        "reason": 500,  # kept in the event's details; the thread page's form allows as much
    },
    "NoReplyNeededSerializer": {"reason": 500},  # as ThreadChangeSerializer's
    "ReasonSerializer": {"note": 2000},  # the clock's breach_note (text)
    "OverrideSerializer": {"extend_by": 40, "reason": 500},  # a duration; as a change's reason
    "MessageCreateSerializer": {
        "body": Message._meta.get_field("body"),
        "contact_email": Contact._meta.get_field("email"),
        "external_id": Message._meta.get_field("external_id"),
        "author_username": User._meta.get_field("username"),
    },
    "ThreadFilterSerializer": {
        "assignee": None,  # a query filter, never stored
        # Looked up, never stored: as long as the columns they are compared with.
        "source": Thread._meta.get_field("source"),
        "external_id": Thread._meta.get_field("external_id"),
    },
    "AccountSerializer": {"email_domains": 253},  # a JSON list; the longest domain name
    "AccountLookupSerializer": {  # looked up, never stored: as long as what they match
        "name": Account._meta.get_field("name"),
        "domain": 253,
    },
}
# Response shapes nothing reads in (their fields are not read-only only so that the schema marks
# an optional key, such as an attribution part's team_id, as optional).
RESPONSE_ONLY = {"ErrorSerializer", "AttributionPartSerializer"}
OUR_APPS = ("threads.", "accounts.", "policies.", "integrations.", "slaops.")


def _api_serializers():
    import threads.api.urls  # noqa: F401  (imports every serializer the API uses)

    seen, todo = [], [serializers.Serializer]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        abstract = issubclass(cls, serializers.ModelSerializer) and not hasattr(cls, "Meta")
        if (
            cls.__module__.startswith(OUR_APPS)
            and cls.__name__ not in RESPONSE_ONLY
            and not abstract
        ):
            seen.append(cls)
    return sorted(set(seen), key=lambda c: c.__name__)


def _limit(column):
    return column if column is None or isinstance(column, int) else column.max_length


@pytest.mark.parametrize("serializer", _api_serializers(), ids=lambda c: c.__name__)
def test_every_string_the_api_writes_fits_its_column(serializer):
    declared = COLUMNS.get(serializer.__name__, {})
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    for name, field in serializer().fields.items():
        if field.read_only:
            continue
        text = field.child if isinstance(field, serializers.ListField) else field
        if not isinstance(text, serializers.CharField):
            continue  # choices, numbers, ids and booleans are bounded by their type
        if name in declared:
            expected = _limit(declared[name])
        else:
            assert model is not None, f"{serializer.__name__}.{name}: add its column to COLUMNS"
            column = model._meta.get_field(field.source)
            assert column.get_internal_type() != "JSONField", f"{name}: add it to COLUMNS"
            expected = column.max_length
        assert text.max_length == expected, f"{serializer.__name__}.{name}"


# --------------------------------------------------------------------------------- headers


def test_pages_and_api_answers_carry_the_security_headers(manager_client):
    for response in (manager_client.get("/queue/"), manager_client.get(THREADS)):
        assert response.status_code == 200
        policy = dict(
            part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
        )
        assert policy["script-src"] == "'self'"  # no inline script, no eval
        assert policy["frame-ancestors"] == "'none'"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"


# "²" and "٣" are digits to str.isdigit() (int() refuses the first, reads 3 from the second).
@pytest.mark.parametrize(
    "value",
    ["1e400", "1.5", "true", "99999999999999999999999", "-1", '"7x"', '"²"', '"٣"', '" 1"', '"+1"'],
)
def test_an_id_that_is_not_a_whole_number_of_an_object_is_a_400_naming_the_field(
    api, thread, value
):
    created = post_raw(api, b'{"message": "x", "team": %s}' % value.encode())
    assert_shaped(created, 400, ["team"])
    changed = api.generic(
        "PATCH", f"{THREADS}{thread['id']}/", b'{"team": %s}' % value.encode(), "application/json"
    )
    assert_shaped(changed, 400, ["team"])
    account = Account.objects.create(name="Acme")
    moved = api.generic(
        "PATCH",
        f"/api/v1/accounts/{account.pk}/",
        b'{"tier": %s}' % value.encode(),
        "application/json",
    )
    assert_shaped(moved, 400, ["tier"])
    contact = post_raw(
        api, b'{"email": "a@acme.de", "account": %s}' % value.encode(), "/api/v1/contacts/"
    )
    assert_shaped(contact, 400, ["account"])


def test_an_id_filter_that_is_not_a_whole_number_is_a_400(api, thread):
    assert api.get(f"{THREADS}?tier=1.5").status_code == 400
    assert api.get(f"{THREADS}?team=99999999999999999999999").status_code == 400


@pytest.mark.parametrize("name", ["tier", "team", "assignee"])
@pytest.mark.parametrize("value", ["²", "٣", "1_0", "+1"])
def test_an_id_filter_with_a_unicode_digit_is_a_400_naming_the_filter(api, thread, name, value):
    assert_shaped(api.get(THREADS, {name: value}), 400, [name])


@pytest.mark.parametrize("path", ["/api/v1/accounts/", "/api/v1/contacts/", THREADS])
def test_an_object_id_with_a_unicode_digit_is_a_404_never_a_500(api, thread, path):
    assert_shaped(api.get(f"{path}²/"), 404, [])
    assert_shaped(api.get(f"{THREADS}²/messages/"), 404, [])


def test_a_page_number_with_a_unicode_digit_is_a_404_never_a_500(api, thread):
    assert_shaped(api.get(THREADS, {"page": "²"}), 404, [])
