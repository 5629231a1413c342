"""Who gets what on every URL of the project.

The URL resolver is walked, so a URL added later without a row here fails
`test_every_url_has_a_row`. Each URL is asked by eight callers: nobody signed in, a signed-in
account without a role, an agent, a team-limited agent, a manager, a superuser, an integration key
of the thread's source and a key of another source. The one thread everyone asks about belongs to
the source "zendesk" and to a team the limited agent is not in.

Pages and API rows say the exact status per method. Admin rows follow one rule per app (the
fine-grained admin permissions inside an app are tested with the admin): the admin is closed to
everyone who is not staff (keys included: the admin knows no API key), a manager is refused
(403) the apps only superusers run, and reaches the others.
"""

from dataclasses import dataclass

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps as django_apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task
from rest_framework.test import APIClient

from accounts.models import Account, AgentProfile, Team
from accounts.roles import AGENTS, MANAGERS
from accounts.services import contact_upsert
from integrations.models import IntegrationKey
from objectives.models import Objective, ObjectiveDay, ObjectivePeriod
from policies.models import AlertChannel, BreachReason
from tests.factories import office_calendar, policy, tier
from threads import services
from threads.models import CountChange, Delivery, Notification, SlaClock, SlaEvent

pytestmark = pytest.mark.django_db

CALLERS = ["anonymous", "no_role", "agent", "limited", "manager", "superuser", "key", "other_key"]
LOGIN = "login"  # a redirect to a login page
# Admin: past the staff check (any answer but a login or a 5xx); 403 where the ModelAdmin keeps
# the model read-only.
REACHED_OR_403 = "reached or 403"
RUNS = "runs"  # ADMIN_APPS: an app the manager runs
# /status answers everyone its overall state (200, or 503 when a critical check fails: here no
# task cluster ever beat); the checks and figures only to staff (or the metrics token).
STATUS_ONLY = "overall state only"
STATUS_DETAIL = "state and checks"


def E(anonymous, no_role, agent, limited, manager, superuser, key, other_key):  # noqa: N802
    callers = [anonymous, no_role, agent, limited, manager, superuser, key, other_key]
    return dict(zip(CALLERS, callers, strict=True))


API_READ = E(401, 403, 200, 200, 200, 200, 200, 200)
# The thread is Zendesk's and not in the limited agent's teams: to them and to another source's
# key it does not exist.
THREAD_READ = E(401, 403, 200, 404, 200, 200, 200, 404)
THREAD_CHANGE = THREAD_READ
PAGE = E(LOGIN, 403, 200, 200, 200, 200, LOGIN, LOGIN)
THREAD_PAGE = E(LOGIN, 403, 200, 404, 200, 200, LOGIN, LOGIN)
THREAD_ACTION = E(LOGIN, 403, 302, 404, 302, 302, LOGIN, LOGIN)

NEW_THREAD = {"subject": "Printer on fire", "message": "Help"}

# name -> [(method, body, expected per caller)]. Format-suffixed API routes (`.json`) answer
# their GET row.
ROWS = {
    # ---------------------------------------------------------------- pages
    "home": [("get", None, E(302, 302, 302, 302, 302, 302, 302, 302))],
    "login": [("get", None, E(200, 302, 302, 302, 302, 302, 200, 200))],
    "logout": [("post", {}, E(302, 302, 302, 302, 302, 302, 302, 302))],
    "queue": [("get", None, PAGE)],
    "inbox": [("get", None, PAGE)],
    # A bulk change answers with a redirect back to the inbox; the threads a person may not see
    # are named in a message as not found (tests/threads/pages/test_inbox_bulk.py).
    "inbox-bulk": [("post", "bulk-priority", E(LOGIN, 403, 302, 302, 302, 302, LOGIN, LOGIN))],
    "inbox-view-save": [
        ("post", {"name": "Urgent"}, E(LOGIN, 403, 302, 302, 302, 302, LOGIN, LOGIN))
    ],
    # Only the view's owner may delete it; anyone else is told there is no such view.
    "inbox-view-delete": [("post", {}, E(LOGIN, 403, 302, 302, 302, 302, LOGIN, LOGIN))],
    # "Save as my view": a view shared with one's teams; anything else is told it is not found.
    "inbox-view-copy": [("post", {}, E(LOGIN, 403, 302, 302, 302, 302, LOGIN, LOGIN))],
    "queue-live": [("get", None, PAGE)],
    "notifications": [("get", None, PAGE)],
    "notification-read": [  # the agent's own notification: anyone else's is not found
        ("post", {}, E(LOGIN, 403, 302, 404, 404, 404, LOGIN, LOGIN))
    ],
    "notifications-read-all": [("post", {}, E(LOGIN, 403, 302, 302, 302, 302, LOGIN, LOGIN))],
    # Opening a notification (marks it read, then the thread); the bell and thread page polls.
    "notification-open": [("get", None, E(LOGIN, 403, 302, 404, 404, 404, LOGIN, LOGIN))],
    "notifications-bell": [("get", None, PAGE)],
    "thread-live": [("get", None, THREAD_PAGE)],
    "thread": [("get", None, THREAD_PAGE)],
    "thread-message": [("post", {"kind": "note", "body": "Checked"}, THREAD_ACTION)],
    "thread-no-reply-needed": [("post", {}, THREAD_ACTION)],
    # "Try again" on the thread's failed reply: the thread's rules, as replying.
    "thread-message-retry": [("post", {}, THREAD_ACTION)],
    "thread-status": [("post", {"status": "open"}, THREAD_ACTION)],
    "thread-details": [("post", {"priority": "high"}, THREAD_ACTION)],
    # E-mail: attachments of the thread's e-mails, retrying its reply (the thread's rules).
    "mail-attachment": [("get", None, THREAD_PAGE)],
    "mail-retry": [("post", {}, THREAD_ACTION)],
    # Providers' inbound webhooks: closed (404) until their credentials are configured; a
    # configured one checks the provider's basic auth or signature (tests/mail/test_webhooks.py).
    **{
        f"mail-{provider}": [("post", {}, E(404, 404, 404, 404, 404, 404, 404, 404))]
        for provider in ("postmark", "mailgun", "sendgrid", "amazon_ses")
    },
    "reports:compliance": [("get", None, E(LOGIN, 403, 403, 403, 200, 200, LOGIN, LOGIN))],
    # An account's statement (page, CSV): managers only, as the reports.
    "reports:statement": [("get", None, E(LOGIN, 403, 403, 403, 200, 200, LOGIN, LOGIN))],
    # Objectives pages: managers and agents read (managers edit in the admin); the missed
    # clocks an objective lists are those of threads the person may see.
    "objectives": [("get", None, PAGE)],
    "objective": [("get", None, PAGE)],
    # Breaches without a reason: whoever works threads, their visible threads only.
    "breaches-unexplained": [("get", None, PAGE)],
    # A clock's actions on the thread page go back with a message, also when the service refuses
    # (this clock has not missed; an agent may not move or exempt): the thread's rules decide.
    "thread-clock-give-reason": [("post", "breach-reason", THREAD_ACTION)],
    "thread-clock-move-due": [("post", {"extend_by": "1h", "reason": "Asked"}, THREAD_ACTION)],
    "thread-clock-exempt": [("post", {"reason": "Test thread"}, THREAD_ACTION)],
    # Slack's Events API: public, but only a request signed with a Slack app's signing secret
    # is read (signed requests: tests/slackapp/test_inbound.py); a session or key is no signature.
    "slack-events": [
        ("post", {}, E(401, 401, 401, 401, 401, 401, 401, 401)),
        ("get", None, E(405, 405, 405, 405, 405, 405, 405, 405)),
    ],
    # "Add to Slack" (slackapp/oauth.py): superusers only. The start sends them to Slack (or to
    # the app's credentials when none are given); the callback without this session's state is
    # a page saying so (tests/slackapp/test_install.py).
    "slack-install": [("get", None, E(LOGIN, 403, 403, 403, 403, 302, LOGIN, LOGIN))],
    "slack-oauth-callback": [("get", None, E(LOGIN, 403, 403, 403, 403, 400, LOGIN, LOGIN))],
    # The triage message's buttons and /sla: Slack-signed like the events (signed requests:
    # tests/slackapp/test_interactivity.py, test_slash_command.py); who clicked or typed is
    # then mapped to an agent whose role and team scope decide.
    **{
        name: [
            ("post", {}, E(401, 401, 401, 401, 401, 401, 401, 401)),
            ("get", None, E(405, 405, 405, 405, 405, 405, 405, 405)),
        ]
        for name in ("slack-interactivity", "slack-commands")
    },
    # The documentation site (slaops/docs_site.py): public and read-only; it holds no secrets.
    **{
        name: [("get", None, E(*[200] * 8)), ("post", {}, E(*[405] * 8))]
        for name in ("docs", "docs-file")
    },
    # Probes for the orchestrator: public, answered before the login (slaops/health/probes.py).
    **{probe: [("get", None, E(*[200] * 8))] for probe in ("healthz", "readyz", "startupz")},
    "status": [
        (
            "get",
            None,
            E(*[STATUS_ONLY] * 4, STATUS_DETAIL, STATUS_DETAIL, STATUS_ONLY, STATUS_ONLY),
        )
    ],
    # Prometheus: a superuser, METRICS_TOKEN or an allowed address (none here); no figure to
    # anyone else (slaops/metrics/access.py).
    "metrics": [("get", None, E(403, 403, 403, 403, 403, 200, 403, 403))],
    # ---------------------------------------------------------------- API
    "api:api-root": [("get", None, API_READ)],
    # The schema and its docs page describe the API, they hold no data: public.
    "api-schema": [("get", None, E(200, 200, 200, 200, 200, 200, 200, 200))],
    "api-docs": [("get", None, E(200, 200, 200, 200, 200, 200, 200, 200))],
    "api:thread-list": [
        ("get", None, API_READ),
        # Found by its integration key: a list of the one thread, or empty for whoever may not
        # see it (the limited agent, another source's key); both keys or a 400.
        ("get", {"source": "zendesk", "external_id": "ZD-1"}, API_READ),
        ("get", {"source": "zendesk"}, E(401, 403, 400, 400, 400, 400, 400, 400)),
        # The limited agent must name one of their teams (or themselves) for a new thread.
        ("post", NEW_THREAD, E(401, 403, 201, 400, 201, 201, 201, 201)),
        # People open threads of source "api" only: another source is an integration's.
        ("post", {**NEW_THREAD, "source": "zendesk"}, E(401, 403, 400, 400, 400, 400, 201, 400)),
        # People act now; only keys give past times.
        (
            "post",
            {**NEW_THREAD, "created_at": "2026-01-01T00:00:00Z"},
            E(401, 403, 400, 400, 400, 400, 201, 201),
        ),
    ],
    "api:thread-detail": [
        ("get", None, THREAD_READ),
        ("patch", {"priority": "high"}, THREAD_CHANGE),
        # A misspelt field is refused, after the thread is found (the same 404 as ever).
        ("patch", {"priorty": "high"}, E(401, 403, 400, 404, 400, 400, 400, 404)),
        # No thread is replaced or deleted through the API (a key's write access ends at 405).
        ("put", NEW_THREAD, E(401, 403, 405, 405, 405, 405, 405, 405)),
        ("delete", None, E(401, 403, 403, 403, 405, 405, 405, 405)),
    ],
    "api:thread-no-reply-needed": [("post", {}, THREAD_CHANGE)],
    "api:thread-message-list": [
        ("get", None, THREAD_READ),
        ("post", {"author": "agent", "body": "On it"}, E(401, 403, 201, 404, 201, 201, 201, 404)),
        # A late event an integration replays: its time is the thread's opening.
        ("post", "late-message", E(401, 403, 400, 404, 400, 400, 201, 404)),
    ],
    # Trying the thread's failed reply again, authorised as replying: the agent (asked first)
    # queues it again; for everyone after, it has not failed any more (400 naming delivery).
    "api:thread-message-retry": [("post", {}, E(401, 403, 200, 404, 400, 400, 400, 404))],
    # Lists are scoped (a key: its source's threads' accounts; the limited agent: their teams'
    # threads'); an exact look-up by name or e-mail domain finds an account for every reader.
    "api:account-list": [
        ("get", None, API_READ),
        ("get", {"name": "Other"}, API_READ),
        ("get", {"domain": "acme.com"}, API_READ),
        ("post", "new-account", E(401, 403, 403, 403, 201, 201, 403, 403)),
    ],
    # Acme is on Zendesk's thread only, of a team the limited agent is not in.
    "api:account-detail": [
        ("get", None, THREAD_READ),
        ("patch", {"name": "Acme Ltd"}, E(401, 403, 403, 403, 200, 200, 403, 403)),
        ("delete", None, E(401, 403, 403, 403, 405, 405, 403, 403)),
    ],
    "api:contact-list": [
        ("get", None, API_READ),
        # Moving a contact to another account changes its tier and SLA: managers only.
        ("post", "move-contact", E(401, 403, 403, 403, 200, 200, 403, 403)),
    ],
    # The contact came in through Zendesk's thread: another source's key and the limited agent
    # do not see it.
    "api:contact-detail": [("get", None, THREAD_READ)],
    # Teams with their targets: everyone who may read teams, and keys (to hand a thread to one
    # by id or name); configured in the admin only, so every write is refused.
    "api:team-list": [
        ("get", None, API_READ),
        ("post", {"name": "New"}, E(401, 403, 403, 403, 405, 405, 403, 403)),
    ],
    "api:team-detail": [
        ("get", None, API_READ),
        ("patch", {"name": "Renamed"}, E(401, 403, 403, 403, 405, 405, 403, 403)),
    ],
    # A thread's clocks: people as the thread (keys: no access, a person's word is a person's).
    "api:thread-clock-list": [("get", None, E(401, 403, 200, 404, 200, 200, 403, 403))],
    "api:thread-clock-detail": [("get", None, E(401, 403, 200, 404, 200, 200, 403, 403))],
    # The clock has not missed: a reason is refused by rule (400) to whoever may give one.
    "api:thread-clock-reason": [
        ("post", "breach-reason", E(401, 403, 400, 404, 400, 400, 403, 403))
    ],
    # Moving a due time: managers (and agents their profile allows, tests/objectives).
    "api:thread-clock-override": [
        ("post", {"extend_by": "1h", "reason": "Asked"}, E(401, 403, 403, 404, 200, 200, 403, 403))
    ],
    # Objectives: managers write, agents read, keys have no access.
    "api:objective-list": [
        ("get", None, E(401, 403, 200, 200, 200, 200, 403, 403)),
        ("post", "new-objective", E(401, 403, 403, 403, 201, 201, 403, 403)),
    ],
    "api:objective-detail": [
        ("get", None, E(401, 403, 200, 200, 200, 200, 403, 403)),
        ("patch", {"target_percent": 90}, E(401, 403, 403, 403, 200, 200, 403, 403)),
        ("put", "new-objective", E(401, 403, 403, 403, 200, 200, 403, 403)),
        # The manager deletes it; the superuser then finds nothing.
        ("delete", None, E(401, 403, 403, 403, 204, 404, 403, 403)),
    ],
    "api:objective-periods": [("get", None, E(401, 403, 200, 200, 200, 200, 403, 403))],
    "api:breach-reason-list": [
        ("get", None, E(401, 403, 200, 200, 200, 200, 403, 403)),
        ("post", "new-reason", E(401, 403, 403, 403, 201, 201, 403, 403)),
    ],
    "api:breach-reason-detail": [
        ("get", None, E(401, 403, 200, 200, 200, 200, 403, 403)),
        (
            "patch",
            {"description": "When nobody took it"},
            E(401, 403, 403, 403, 200, 200, 403, 403),
        ),
    ],
}

# Admin: what a manager meets in each app. In the apps they run, every list answers 200 and the
# other views are reached (or 403 where the ModelAdmin keeps a model read-only, such as the SLA
# history); in the apps only superusers run, everything is 403. Superusers get every list, and
# the other views are reached or read-only. An app registered in the admin later without a line
# here fails test_every_url_has_a_row.
ADMIN_APPS = {
    "accounts": RUNS,
    "policies": RUNS,
    "threads": RUNS,
    "auth": RUNS,  # agents and teams; which users and fields they may edit: tests/accounts
    "axes": 403,
    "django_q": 403,
    "integrations": 403,
    "mail": RUNS,  # mailboxes (passwords write-only), what came in, what went out
    "objectives": RUNS,  # objectives (agents read them on their pages and the API)
    "slackapp": 403,  # the bot token and signing secret: superusers only
}
# Apps whose manager rows are expected to fail (strictly) while a role change is pending.
PENDING_ROLES: set[str] = set()
READ_VIEWS = ("_changelist", "_change", "_history", "app_list")  # what a view permission opens


# ------------------------------------------------------------------------- the URL walk


@dataclass(frozen=True)
class Url:
    name: str  # namespaced name, or the route for an unnamed admin pattern
    route: str
    kwargs: tuple  # names of the URL's parameters

    @property
    def admin(self) -> bool:
        return self.route.startswith("admin/")


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            name = namespace + pattern.name if pattern.name else route
            kwargs = tuple(sorted(pattern.pattern.regex.groupindex))
            yield Url(name, route, kwargs)


def every_url() -> list[Url]:
    return list(dict.fromkeys(_walk(get_resolver().url_patterns)))


def _registered_apps() -> set[str]:
    return {model._meta.app_label for model in admin.site._registry}


def _admin_app(url: Url) -> str | None:
    """The app an admin URL belongs to (None: the admin's own pages)."""
    parts = url.route.split("/")
    if len(parts) > 2 and parts[1] in _registered_apps():
        return parts[1]
    return None


# ------------------------------------------------------------------------------ the world


@pytest.fixture
def world(agent, manager, django_user_model, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the attachment's file
    no_role = django_user_model.objects.create_user("nobody", "nobody@example.com", "pw")
    limited = django_user_model.objects.create_user("lee", "lee@example.com", "pw")
    limited.groups.add(Group.objects.get(name=AGENTS))
    AgentProfile.objects.create(user=limited, only_my_teams=True)
    Team.objects.create(name="Billing").members.add(limited)
    superuser = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    policy("Standard", calendar=office_calendar(), tiers=[tier("Free", default=True)])
    acme = Account.objects.create(name="Acme", email_domains=["acme.com"])
    Account.objects.create(name="Other")
    thread = services.thread_create(
        subject="Printer on fire",
        first_message="Help",
        source="zendesk",
        external_id="ZD-1",
        team=Team.objects.create(name="Tech"),
        contact=contact_upsert(email="ann@acme.com", account=acme, source="zendesk")[0],
    ).thread
    event = SlaEvent.objects.filter(thread=thread).first()
    notification = Notification.objects.create(user=agent, thread=thread, event=event)
    mail = _one_of_every_admin_model(event)
    objective = Objective.objects.create(name="FRT 95%", metric="first_response", target_percent=95)
    ObjectivePeriod.objects.create(
        objective=objective,
        start=timezone.now(),
        end=timezone.now(),
        figures={},
        status="healthy",
        closed_at=timezone.now(),
    )
    ObjectiveDay.objects.create(objective=objective, day=timezone.now().date())
    reason = BreachReason.objects.create(name="Understaffed")
    assert manager.groups.filter(name=MANAGERS).exists()
    return {
        "people": {
            "no_role": no_role,
            "agent": agent,
            "limited": limited,
            "manager": manager,
            "superuser": superuser,
        },
        "thread": thread,
        "account": acme,
        "contact": thread.contact,
        "notification": notification,
        "clock": SlaClock.objects.filter(thread=thread).first(),
        "objective": objective,
        "reason": reason,
        **mail,
    }


def _one_of_every_admin_model(event) -> None:
    """So each admin object view is asked about a real object."""
    now = timezone.now()
    channel = AlertChannel.objects.create(name="Ops mail", kind="email", addresses="ops@acme.com")
    Delivery.objects.create(event=event, kind="email", channel=channel, recipient="ops@acme.com")
    Schedule.objects.create(name="matrix", func="math.floor")
    for success in (True, False):
        Task.objects.create(
            id=f"task-{success}",
            name=f"task-{success}",
            func="math.floor",
            started=now,
            stopped=now,
            success=success,
        )
    OrmQ.objects.create(key="slaops", payload="-", lock=now)
    CountChange.objects.create(at=now)
    who = {"username": "ann", "ip_address": "127.0.0.1", "user_agent": "x", "http_accept": "*/*"}
    AccessAttempt.objects.create(**who, path_info="/login/", failures_since_start=1)
    AccessLog.objects.create(**who, path_info="/login/")
    AccessFailureLog.objects.create(**who, path_info="/login/")
    IntegrationKey.objects.create_key(name="matrix", source="matrix")
    _slack_records(event)
    return _mail_of(event.thread)


def _mail_of(thread) -> dict:
    """A mailbox, an e-mail of the thread with an attachment, and a failed reply."""
    from django.core.files.base import ContentFile

    from mail.models import Attachment, InboundEmail, Mailbox, OutboundEmail
    from threads.models import Message

    mailbox = Mailbox.objects.create(name="Support", address="support@example.net")
    inbound = InboundEmail.objects.create(
        mailbox=mailbox, message_id="<m@x>", kind="customer", thread=thread, via="file"
    )
    attachment = Attachment(inbound=inbound, filename="a.txt", content_type="text/plain", size=1)
    attachment.file.save("a.txt", ContentFile(b"a"), save=False)
    attachment.save()
    reply = Message.objects.create(thread=thread, author_kind="agent", body="On it")
    outbound = OutboundEmail.objects.create(
        reply=reply,
        mailbox=mailbox,
        to_address="ann@acme.com",
        subject="Re",
        message_id="<o@x>",
        status="failed",
    )
    return {"attachment": attachment, "outbound": outbound}


def _slack_records(event) -> None:
    from slackapp.models import SlackApp, SlackCredentials, SlackEvent, SlackMessage, SlackPost
    from threads.models import Message

    SlackCredentials.objects.create(signing_secret="s", client_id="1.2", client_secret="c")

    app = SlackApp.objects.create(team_id="T0MATRIX", bot_token="xoxb-m", signing_secret="s")
    SlackEvent.objects.create(app=app, event_id="Ev0MATRIX", payload={})
    SlackMessage.objects.create(app=app, channel_id="C0", ts="1.0", status="recorded")
    message = Message.objects.create(thread=event.thread, author_kind="agent", body="Hi")
    SlackPost.objects.create(app=app, message=message, channel_id="C0", thread_ts="1.0")


def caller(name: str, world) -> APIClient:
    client = APIClient()
    if name in world["people"]:
        client.force_login(world["people"][name])
    elif name in ("key", "other_key"):
        source = "zendesk" if name == "key" else "intercom"
        _, secret = IntegrationKey.objects.create_key(name=name, source=source)
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client


def _admin_model(url: Url):
    parts = url.route.split("/")
    if len(parts) > 3 and parts[1] in _registered_apps():
        try:
            return django_apps.get_model(parts[1], parts[2])
        except LookupError:
            return None
    return None


def _admin_object_id(url: Url) -> str:
    """A real object of the URL's model, so object views check permissions rather than answer
    "no such object"."""
    model = _admin_model(url)
    found = model._default_manager.order_by("pk").first() if model else None
    assert model is None or found is not None, f"the world has no {model._meta.label}"
    return str(found.pk) if found else "999999"


def _sample(url: Url, world) -> dict:
    ids = {
        "thread_id": world["thread"].pk,
        "account_id": world["account"].pk,
        "format": "json",
        "object_id": _admin_object_id(url) if url.admin else "999999",
        "id": _admin_object_id(url) if url.admin else "999999",
        "content_type_id": str(ContentType.objects.get_for_model(Account).pk),
        "run": "none",
        "direction": "up",
        "url": "no-such-page/",
        "path": "index.html",
    }
    if "pk" in url.kwargs and url.admin:
        ids["pk"] = _admin_object_id(url)
    elif "pk" in url.kwargs:
        name = url.name.removeprefix("api:")
        ids["pk"] = (
            world["outbound"].reply_id
            if name == "thread-message-retry"
            else world["clock"].pk
            if name.startswith("thread-clock")
            else world["objective"].pk
            if name.startswith("objective")
            else world["reason"].pk
            if name.startswith("breach-reason")
            else world["thread"].pk
            if name.startswith("thread")
            else world["account"].pk
            if name.startswith("account")
            else world["contact"].pk
            if name.startswith("contact")
            else world["thread"].team_id
            if name.startswith("team")
            else world["notification"].pk
            if name.startswith("notification")
            else world["attachment"].pk
            if name == "mail-attachment"
            else world["outbound"].pk
            if name == "mail-retry"
            else 999999
        )
    return {k: ids[k] for k in url.kwargs if k != "app_label"}


def _path(url: Url, world, app_label: str | None = None) -> str:
    kwargs = _sample(url, world)
    if app_label:
        kwargs["app_label"] = app_label
    if url.name != url.route:
        return reverse(url.name, kwargs=kwargs)
    path = "/" + url.route  # an unnamed admin route: `admin/<app>/<model>/<path:object_id>/`
    for key, value in kwargs.items():
        path = path.replace(f"<path:{key}>", str(value))
    return path


def _body(body, world, who):
    if body == "late-message":
        at = world["thread"].created_at.isoformat()
        return {"author": "customer", "body": "Still broken", "created_at": at}
    if body == "bulk-priority":
        return {"threads": [world["thread"].pk], "action": "priority", "priority": "high"}
    if body == "new-account":
        return {"name": f"Initech for {who}"}
    if body == "new-objective":
        return {"name": f"FRT for {who}", "metric": "first_response", "target_percent": 95}
    if body == "new-reason":
        return {"name": f"Reason of {who}"}
    if body == "breach-reason":
        return {"reason": world["reason"].pk}
    if body == "move-contact":
        other = Account.objects.get(name="Other")
        return {"email": world["contact"].email, "account": other.pk}
    return body


def _matches(response, expected) -> bool:
    status = response.status_code
    if expected in (STATUS_ONLY, STATUS_DETAIL):
        shown = "checks" in response.json()
        return status in (200, 503) and shown == (expected == STATUS_DETAIL)
    if status >= 500:
        return False
    if expected == LOGIN:
        return status == 302 and "login" in response["Location"]
    is_login = status == 302 and "/login/" in response.get("Location", "")
    if expected == REACHED_OR_403:
        return not is_login
    return status == expected


# ----------------------------------------------------------------------------- the rows


@pytest.fixture(autouse=True)
def built_docs(settings, tmp_path):
    # The documentation as `make docs` leaves it, so /docs/ answers its page.
    settings.DOCS_ROOT = tmp_path
    (tmp_path / "index.html").write_text("<!doctype html><title>SLA Ops</title>")


def _api_or_page_cases():
    for url in every_url():
        if url.admin:
            continue
        for n, (method, body, expected) in enumerate(ROWS.get(url.name, [])):
            if "format" in url.kwargs and method != "get":
                continue
            suffix = ".json" if "format" in url.kwargs else ""
            yield pytest.param(url, method, body, expected, id=f"{method} {url.name}{suffix} {n}")


def _admin_expected(url: Url, app: str | None, who: str):
    if who not in ("manager", "superuser"):
        if url.name == "admin:login":
            # The login form to those signed out; a signed-in account without access gets a
            # page saying who the admin is for (slaops/admin_door.py).
            return 403 if who in ("no_role", "agent", "limited") else 200
        if url.name == "admin:logout":
            return 302  # to the admin index, which asks for a staff login
        return LOGIN
    if url.name == "admin:login":
        return 302  # staff are signed in already: to the index
    if url.name == "admin:logout":
        return 200
    if url.name == "admin:index":
        return 200
    if url.name == url.route and url.route.endswith("<path:object_id>/"):
        return 302  # the admin's old object URL only redirects to …/change/, checked there
    listing = url.name.endswith("_changelist")
    if who == "superuser" or app is None:
        return 200 if listing else REACHED_OR_403
    if ADMIN_APPS[app] == 403:
        return 404 if url.name == "admin:app_list" else 403
    return 200 if listing or url.name == "admin:app_list" else REACHED_OR_403


def _admin_cases():
    for url in every_url():
        if not url.admin:
            continue
        if "app_label" in url.kwargs:
            targets = [(app, app) for app in sorted(_registered_apps())]
        else:
            targets = [(_admin_app(url), None)]
        for app, app_label in targets:
            label = url.name + (f"[{app_label}]" if app_label else "")
            expected = {who: _admin_expected(url, app, who) for who in CALLERS}
            if app in PENDING_ROLES and url.name.endswith(READ_VIEWS):
                pending = {"manager": expected.pop("manager")}
                yield pytest.param(
                    url,
                    app_label,
                    pending,
                    id=f"{label} manager",
                    marks=pytest.mark.xfail(strict=True, reason="waits for the roles branch"),
                )
            yield pytest.param(url, app_label, expected, id=label)


def _ask(world, expected: dict, request) -> None:
    """Ask as every caller; fail once, listing every caller whose answer differs."""
    wrong = []
    for who, wanted in expected.items():
        response = request(caller(who, world), who)
        if not _matches(response, wanted):
            said = response.content[:200].decode(errors="replace") if wanted != LOGIN else ""
            wrong.append(f"{who}: {response.status_code}, expected {wanted} {said}".rstrip())
    assert not wrong, "; ".join(wrong)


@pytest.mark.parametrize(("url", "method", "body", "expected"), list(_api_or_page_cases()))
def test_pages_and_api(world, url, method, body, expected):
    path = _path(url, world)
    encoding = "json" if url.name.startswith("api:") else None

    def request(client, who):
        return getattr(client, method)(path, _body(body, world, who), format=encoding)

    _ask(world, expected, request)


@pytest.mark.parametrize(("url", "app_label", "expected"), list(_admin_cases()))
def test_admin(world, url, app_label, expected):
    path = _path(url, world, app_label)
    method = "post" if url.name == "admin:logout" else "get"
    _ask(world, expected, lambda client, who: getattr(client, method)(path))


def test_every_url_has_a_row():
    missing = [url.name for url in every_url() if not url.admin and url.name not in ROWS]
    assert not missing, f"URLs without a row in the permission matrix: {missing}"
    unknown_apps = _registered_apps() - set(ADMIN_APPS)
    assert not unknown_apps, f"admin apps without a row in ADMIN_APPS: {unknown_apps}"
    stale = set(ROWS) - {url.name for url in every_url()}
    assert not stale, f"rows for URLs that no longer exist: {stale}"
