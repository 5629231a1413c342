"""The agents' pages in a real browser (headless Chromium): sign in, filter the queue, answer the
most urgent thread, watch its clock stop and a new alert ring the bell; a manager previews a
policy's deadlines. Screenshots of each page land in test-artifacts/screenshots/ (1280 and 390 px).

The live server shares the in-memory SQLite connection with the test, so the test writes to the
database only while the browser shows a page that does not poll."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AgentProfile, Team
from policies.models import NotificationRule
from tests.factories import policy, tier
from threads import services
from threads.evaluator import evaluate
from threads.models import SlaClock

pytestmark = [pytest.mark.browser]


@pytest.fixture
def desk(transactional_db, agent, other_agent, settings):
    """A 24/7 policy (business time = wall time, so the test needs no travel) and four threads:
    one breaching (nobody's), one imminent and one pending (Alex's), one paused."""
    settings.SLA_QUEUE_REFRESH_SECONDS = 1
    tier("Free", default=True)
    support = Team.objects.create(name="Support")
    support.members.add(agent)
    standard = policy(
        "Standard",
        targets=[("first_response", "", 60), ("resolution", "", 480)],
        thresholds=[("percent_used", 75)],
        pause_statuses=["waiting_on_customer"],
    )
    NotificationRule(
        policy=standard, events=["breaching"], to_assignee=True, in_app=True, by_email=False
    ).save()
    AgentProfile.objects.create(user=agent, time_zone="Europe/Berlin")
    now = timezone.now()

    def thread(subject, minutes_ago, **fields):
        return services.thread_create(
            subject=subject,
            first_message=f"{subject}. Can you help?",
            created_at=now - timedelta(minutes=minutes_ago),
            **fields,
        ).thread

    threads = {
        "late": thread("Cannot log in since the update", 70, team=support, priority="high"),
        "urgent": thread("Printer on fire", 50, assignee=agent, team=support, priority="urgent"),
        "calm": thread("Invoice address is wrong", 10, assignee=agent, channel="web"),
        "paused": thread("Webhook deliveries delayed", 30, assignee=other_agent, channel="slack"),
    }
    services.thread_set_status(
        thread=threads["paused"], status="waiting_on_customer", reason="asked for the request ids"
    )
    evaluate()
    return {"policy": standard, "support": support, **threads}


def bell(browser) -> int:
    return int(browser.text("#bell-count"))


def test_an_agent_answers_the_most_urgent_thread(browser, live_server, desk, agent):
    url = live_server.url
    browser.get(f"{url}/queue/")
    browser.wait_for(lambda: "/login/" in browser.driver.current_url)
    browser.screenshot("login")
    browser.sign_in(url, "alex", "pw-alex")
    assert browser.driver.current_url == f"{url}/inbox/"  # the agents' home; the queue is a click
    browser.click("header nav a[href='/queue/']")
    browser.wait_for(lambda: browser.driver.current_url == f"{url}/queue/")
    assert browser.text('[data-count="breaching"]') == "1"
    assert browser.text('[data-count="paused"]') == "1"
    # Static files and htmx work: the table body is swapped by the live refresh.
    browser.driver.execute_script("document.getElementById('queue-rows').dataset.old = '1'")
    browser.wait_for(
        lambda: browser.driver.execute_script(
            "return document.getElementById('queue-rows').dataset.old === undefined"
        ),
        timeout=5,
        message="the queue did not refresh itself",
    )
    assert browser.attribute("#queue-rows tr[data-left-seconds]", "data-rendered-at")
    browser.screenshot("queue")

    browser.click("label:has(input[name=scope][value=mine])")
    browser.wait_for(lambda: "scope=mine" in browser.driver.current_url)
    rows = browser.rows()
    assert rows[0]["subject"] == "Printer on fire"
    assert rows[0]["state"] == "imminent_breach"
    assert rows[0]["title"].startswith("Due ") and rows[0]["title"].endswith("CET")
    assert "Cannot log in since the update" not in [r["subject"] for r in rows]
    browser.screenshot("queue-mine")

    browser.click("#queue-rows td.subject a")
    browser.wait_for(lambda: f"/threads/{desk['urgent'].pk}/" in browser.driver.current_url)
    first = '#clocks tr[data-metric="first_response"]'
    assert browser.find(first).get_attribute("data-state") == "imminent_breach"
    browser.find("#id_body").send_keys("Sorry about that! A technician is on the way.")
    browser.find("#send-reply").click()
    browser.wait_for(lambda: "Reply recorded" in browser.text(".messages"))
    assert browser.find(first).get_attribute("data-state") == "achieved"
    assert browser.find(".msg.agent .body").text.startswith("Sorry about that!")
    browser.screenshot("thread")

    # A new alert for Alex arrives while the thread page is open (it does not poll).
    assert bell(browser) == 0
    services.thread_create(
        subject="Export fails with a timeout",
        first_message="The CSV export times out.",
        assignee=agent,
        created_at=timezone.now() - timedelta(minutes=61),
    )
    # Created past due, it is breaching (and its alert out) at once: no tick is needed.
    assert evaluate().events == 0
    browser.get(f"{url}/queue/?scope=mine")
    assert bell(browser) == 1
    rows = browser.rows()
    assert rows[0]["subject"] == "Export fails with a timeout"  # the most urgent now
    assert rows[0]["state"] == "breaching" and rows[0]["left"].startswith("−")
    urgent = [r for r in rows if r["thread"] == str(desk["urgent"].pk)]
    assert len(urgent) == 1  # its first response left the queue; resolution still runs
    browser.find("#bell").click()
    browser.wait_for(lambda: "/notifications/" in browser.driver.current_url)
    assert "First response breaching" in browser.text("#notifications li.unread .title")
    browser.screenshot("notifications")
    browser.find("#notifications li.unread form button").click()
    browser.wait_for(lambda: bell(browser) == 0)
    assert not browser.find_all("#notifications li.unread")
    assert SlaClock.objects.get(thread=desk["urgent"], metric="first_response").state == "achieved"
    browser.sign_out()


def test_a_pausing_status_needs_a_reason_in_the_browser_too(browser, live_server, desk):
    url = live_server.url
    browser.sign_in(url, "alex", "pw-alex")
    browser.get(f"{url}/threads/{desk['calm'].pk}/")
    from selenium.webdriver.support.ui import Select

    Select(browser.find("#id_status")).select_by_value("waiting_on_customer")
    browser.find("#status-form button[type=submit]").click()
    browser.wait_for(lambda: browser.find_all("#errors-status-reason"))
    assert "Say why" in browser.text("#errors-status-reason")
    browser.screenshot("thread-status-error")
    browser.find("#id_reason").send_keys("asked for the invoice number")
    browser.find("#status-form button[type=submit]").click()
    browser.wait_for(lambda: "Status set to waiting on customer." in browser.text(".messages"))
    resolution = browser.find('#clocks tr[data-metric="resolution"]')
    assert resolution.get_attribute("data-state") == "paused"
    assert "asked for the invoice number" in resolution.text
    browser.sign_out()


def test_a_manager_previews_a_policys_deadlines(browser, live_server, desk, manager):
    url = live_server.url
    browser.sign_in(url, "maria", "pw-maria")
    assert browser.find("header nav a[href='/reports/']")
    assert browser.find("header nav a[href='/admin/']")
    browser.get(f"{url}/admin/policies/slapolicy/{desk['policy'].pk}/preview/")
    due = browser.find('#preview-table tr[data-metric="first_response"] td.due').text
    assert due and due != "—"
    browser.screenshot("admin-preview")
    browser.get(f"{url}/queue/")
    browser.screenshot("queue-manager")
    browser.sign_out()


def test_a_manager_reads_the_report_and_replays_a_draft(browser, live_server, desk, manager):
    """The managers' walk: compliance report with charts, then a what-if run to its result."""
    url = live_server.url
    services.agent_reply(thread=desk["urgent"], body="On it")  # one achieved clock…
    services.thread_resolve(thread=desk["late"])  # …and one breached
    browser.sign_in(url, "maria", "pw-maria")
    browser.click("header nav a[href='/reports/']")
    browser.wait_for(lambda: browser.find_all("#summary tbody tr[data-metric]"), message="report")
    summary = browser.text("#summary")
    assert "First response" in summary and "Breach review" in browser.text("#breaches")
    assert browser.find_all("#breakdown svg.chart") and browser.find_all("#trend svg.chart")
    assert "Cannot log in since the update" in browser.text("#breaches")
    browser.screenshot("reports")
    browser.get(f"{url}/admin/policies/slapolicy/{desk['policy'].pk}/whatif/")
    target = desk["policy"].targets.get(metric="first_response")
    field = browser.find(f"#id_target_{target.pk}")
    field.clear()
    field.send_keys("3h")
    browser.click("#whatif-form input[type=submit]")
    browser.wait_for(lambda: browser.find_all("#whatif-table"), timeout=20, message="what-if")
    assert "3h" in browser.text("#whatif-draft")
    browser.screenshot("whatif")
    browser.get(f"{url}/notifications/")  # the admin has its own header; sign out from ours
    browser.sign_out()


def test_every_page_runs_under_the_content_security_policy(browser, live_server, desk, manager):
    url = live_server.url
    browser.get(f"{url}/login/")
    assert browser.csp_violations() == []
    browser.sign_in(url, "maria", "pw-maria")
    pages = [
        "/queue/",
        f"/threads/{desk['late'].pk}/",
        "/notifications/",
        "/reports/",
        "/admin/",
        f"/admin/policies/slapolicy/{desk['policy'].pk}/change/",
        f"/admin/policies/slapolicy/{desk['policy'].pk}/whatif/",
        "/api/docs/",
    ]
    for path in pages:
        browser.get(f"{url}{path}")
        if path == "/queue/":  # htmx runs: the live refresh swaps the table body
            browser.driver.execute_script("document.getElementById('queue-rows').dataset.old = 1")
            browser.wait_for(
                lambda: browser.driver.execute_script(
                    "return document.getElementById('queue-rows').dataset.old === undefined"
                ),
                message="the queue did not refresh itself",
            )
        if path == "/api/docs/":  # Swagger UI's script (a file, not inline) drew the operations
            browser.wait_for(lambda: browser.find_all(".swagger-ui .opblock"), message="no UI")
            assert "SLA Ops API" in browser.text(".swagger-ui .info .title")
        assert browser.csp_violations() == [], path
