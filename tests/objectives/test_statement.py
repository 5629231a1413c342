"""An account's statement: every objective that covers the account, each figure counted over that
account's clocks only, the clocks behind the figures, reasons as customers read them (never the
team's notes or descriptions), moved due times; the same rows as CSV; closed periods and their
corrections."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from accounts.models import Account
from objectives.models import Objective, ObjectivePeriod
from objectives.rollup import apply_count_changes, close_periods
from objectives.statement import statement
from policies.models import BreachReason
from tests.objectives.stories import START, at, frt
from threads import overrides, services
from threads.models import Thread

pytestmark = [pytest.mark.django_db]
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
NOTE = "Priya was off sick and nobody covered the queue"
DESCRIPTION = "Use when the team had too few people on shift"


@pytest.fixture
def accounts(db):
    return Account.objects.create(name="Acme"), Account.objects.create(name="Globex")


def opened(moment, account, *, replied_after=None, subject="Export fails") -> Thread:
    """A thread of `account` opened at `moment`; an agent replies `replied_after` later (None:
    never: it breaches an hour in, once caught up)."""
    with at(moment):
        thread = services.thread_create(
            subject=subject, first_message="Help", account=account
        ).thread
    if replied_after is not None:
        with at(moment + replied_after):
            services.agent_reply(thread=thread, body="On it")
    return thread


def late(moment, account, subject="Export fails") -> Thread:
    return opened(moment, account, replied_after=timedelta(minutes=90), subject=subject)


@pytest.fixture
def month(around_the_clock, accounts, manager):
    """Acme: 3 met, 2 missed (one excused by a confirmed reason, one understaffed). Globex: 40
    met, 7 missed: a volume Acme's statement must never show."""
    acme, globex = accounts
    with at(START - timedelta(days=1)):
        frt_95 = Objective.objects.create(
            name="FRT 95% monthly", metric="first_response", target_percent=95, time_zone="UTC"
        )
    for n in range(3):
        opened(START + timedelta(hours=n), acme, replied_after=timedelta(minutes=20))
    outage = late(START + timedelta(days=1), acme, subject="Login broken")
    queue = late(START + timedelta(days=2), acme, subject="Invoice wrong")
    for n in range(40):
        opened(START + timedelta(hours=n), globex, replied_after=timedelta(minutes=10))
    for n in range(7):
        late(START + timedelta(days=3, hours=n), globex, subject="Globex secret project")
    excused = BreachReason.objects.create(
        name="Third-party outage", excused=True, customer_text="Our mail provider was down"
    )
    understaffed = BreachReason.objects.create(name="Understaffed", description=DESCRIPTION)
    with at(START + timedelta(days=4)):
        overrides.clock_give_reason(
            thread=outage, clock_id=frt(outage).pk, reason=excused, actor=manager
        )
        overrides.clock_give_reason(
            thread=queue, clock_id=frt(queue).pk, reason=understaffed, note=NOTE, actor=manager
        )
    return {"objective": frt_95, "acme": acme, "globex": globex, "outage": outage, "queue": queue}


def test_the_statement_counts_the_accounts_clocks_only(month):
    with at(NOW):
        (found,) = statement(month["acme"], START.date().replace(day=1))
    f = found.figures
    assert (f.achieved, f.breached, f.excused, f.misses) == (3, 2, 1, 1)
    assert str(f.compliance_percent) == "75.00"  # 3 ÷ (3 + 1)
    assert f.allowed_misses == 0 and f.budget_left == -1
    subjects = {line.subject for line in found.clocks}
    assert subjects == {"Export fails", "Login broken", "Invoice wrong"}
    assert len(found.clocks) == 5


def test_the_page_shows_reasons_as_customers_read_them_and_never_the_note(month, manager_client):
    url = reverse("reports:statement", args=[month["acme"].pk])
    with at(NOW):
        page = manager_client.get(url, {"period": "2026-11"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Our mail provider was down" in body and "Missed on our side" in body
    assert "Understaffed" not in body  # the team's own word for it, never the customer's
    assert NOTE not in body and DESCRIPTION not in body
    assert "Globex" not in body
    # Globex's volume (47 judged, 40 met) appears nowhere: Acme's figures are 3 met, 2 missed.
    assert '<dd class="met">3</dd>' in body and '<dd class="missed">2</dd>' in body
    assert '<dd class="met">43</dd>' not in body and "85.11" not in body
    assert "75.00 %" in body


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_csv_has_the_rows_of_the_page(month, manager_client):
    url = reverse("reports:statement", args=[month["acme"].pk])
    with at(NOW):
        response = manager_client.get(url, {"period": "2026-11", "download": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    header, *rows = _csv(response)
    lines = [dict(zip(header, row, strict=True)) for row in rows]
    assert {line["subject"] for line in lines} == {"Export fails", "Login broken", "Invoice wrong"}
    assert len(lines) == 5
    first = lines[0]
    assert (first["met"], first["missed"], first["excused"]) == ("3", "2", "1")
    assert first["compliance %"] == "75.00"
    reasons = {line["subject"]: line["reason"] for line in lines if line["outcome"] != "met"}
    assert reasons == {
        "Login broken": "Our mail provider was down",
        "Invoice wrong": "Missed on our side",
    }
    text = "".join(",".join(row) for row in rows)
    assert NOTE not in text and "Globex" not in text


def test_a_subject_written_as_a_formula_is_text_in_the_statement_csv(month, manager_client):
    opened(
        START + timedelta(days=5),
        month["acme"],
        replied_after=timedelta(minutes=5),
        subject='=HYPERLINK("http://evil")',
    )
    url = reverse("reports:statement", args=[month["acme"].pk])
    with at(NOW):
        _, *rows = _csv(manager_client.get(url, {"period": "2026-11", "download": "csv"}))
    assert '\'=HYPERLINK("http://evil")' in [row[14] for row in rows]


def test_an_unconfirmed_reason_is_under_review_not_shown(month, agent, manager_client):
    acme = month["acme"]
    thread = late(START + timedelta(days=6), acme, subject="Slow reply")
    reason = BreachReason.objects.create(name="Missed in queue", customer_text="We overlooked it")
    with at(START + timedelta(days=7)):
        overrides.clock_give_reason(
            thread=thread, clock_id=frt(thread).pk, reason=reason, note="oops", actor=agent
        )
    with at(NOW):
        body = manager_client.get(
            reverse("reports:statement", args=[acme.pk]), {"period": "2026-11"}
        ).content.decode()
    assert "reason under review" in body and "We overlooked it" not in body


def test_an_objective_scoped_to_another_account_is_left_out(month):
    Objective.objects.create(
        name="Globex only",
        metric="first_response",
        target_percent=99,
        scope={"accounts": [month["globex"].pk]},
    )
    with at(NOW):
        names = [s.objective.name for s in statement(month["acme"], START.date().replace(day=1))]
    assert names == ["FRT 95% monthly"]


def test_a_moved_due_time_is_listed_with_its_reason(month, manager, manager_client):
    acme = month["acme"]
    with at(START + timedelta(days=8)):
        thread = services.thread_create(subject="Call on Monday", first_message="Hi", account=acme)
        thread = thread.thread
        overrides.clock_move_due(
            thread=thread,
            clock_id=frt(thread).pk,
            reason="Customer asked for Monday",
            actor=manager,
            extend_by=timedelta(hours=3),
        )
    with at(START + timedelta(days=8, hours=2)):
        services.agent_reply(thread=thread, body="Done")
    with at(NOW):
        body = manager_client.get(
            reverse("reports:statement", args=[acme.pk]), {"period": "2026-11"}
        ).content.decode()
    assert "Due times moved" in body and "Customer asked for Monday" in body


def test_a_closed_period_is_marked_and_a_later_correction_shown_as_one(month, manager):
    december = datetime(2026, 12, 3, tzinfo=UTC)
    with at(december):
        assert close_periods() >= 1
        (found,) = statement(month["acme"], START.date().replace(day=1))
    assert found.closed and found.status_text == "target not met" and not found.corrections
    # A manager swaps the understaffed reason for the excused one after the month closed.
    outage = BreachReason.objects.get(name="Third-party outage")
    with at(december + timedelta(days=1)):
        overrides.clock_give_reason(
            thread=month["queue"], clock_id=frt(month["queue"]).pk, reason=outage, actor=manager
        )
        apply_count_changes()
        (found,) = statement(month["acme"], START.date().replace(day=1))
    assert found.figures.excused == 2 and found.status_text == "target met"
    assert [line.subject for line in found.corrections] == ["Invoice wrong"]
    assert ObjectivePeriod.objects.get().correction is not None


@pytest.mark.parametrize("period", ["November", "9999-12", "0001-01", "2026-13", "2026-1"])
def test_a_bad_period_is_a_400_naming_it(month, manager_client, period):
    url = reverse("reports:statement", args=[month["acme"].pk])
    response = manager_client.get(url, {"period": period})
    assert response.status_code == 400 and "period: give a month" in response.content.decode()


def test_the_statement_is_for_managers(month, client, agent):
    client.force_login(agent)
    url = reverse("reports:statement", args=[month["acme"].pk])
    assert client.get(url, {"period": "2026-11"}).status_code == 403
    assert client.get(url, {"period": "2026-11", "download": "csv"}).status_code == 403


def test_the_server_side_pdf_is_a_pdf_and_fetches_nothing(month, manager_client):
    from threads.reports.statement import pdf_available

    if not pdf_available():
        pytest.skip("WeasyPrint or its system libraries (Pango) are not installed")
    opened(
        START + timedelta(days=5),
        month["acme"],
        replied_after=timedelta(minutes=5),
        subject='<img src="http://127.0.0.1:9/tracker.png">',
    )
    url = reverse("reports:statement", args=[month["acme"].pk])
    with at(NOW):
        page = manager_client.get(url, {"period": "2026-11"}).content.decode()
        response = manager_client.get(url, {"period": "2026-11", "download": "pdf"})
    assert 'id="statement-pdf"' in page
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "attachment" in response["Content-Disposition"]
    from tests.threads.browser import SCREENSHOTS

    SCREENSHOTS.parent.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS.parent / "statement-server.pdf").write_bytes(response.content)


def test_a_fetch_from_the_pdf_is_refused():
    from threads.reports.statement import _refuse_fetch

    with pytest.raises(ValueError):
        _refuse_fetch("http://127.0.0.1:9/x.png")
