"""The report, an error page and the admin in a real browser (headless Chromium), at 1280 and
390 px, light and dark: the charts stay inside their card, the tables keep their headings, and no
page asks for a favicon it cannot get. Screenshots land in test-artifacts/screenshots/."""

import pytest

from tests.threads.reports import test_reports

pytestmark = [pytest.mark.browser]
history = test_reports.history  # the week worked out by hand
QUERY = "start=2026-11-23&end=2026-11-29&zone=Europe/Berlin&by=agent&per=day"

# Whether anything is wider than the page (a chart or a table pushing the phone view sideways),
# and the boxes of the charts against their cards.
_LAYOUT = """
var doc = document.documentElement, out = {overflow: doc.scrollWidth - doc.clientWidth, charts: []};
document.querySelectorAll("svg.chart").forEach(function (svg) {
  var card = svg.closest(".panel").getBoundingClientRect(), box = svg.getBoundingClientRect();
  var texts = Array.from(svg.querySelectorAll("text")).filter(function (t) {
    return getComputedStyle(t).display !== "none"; });
  var outside = texts.filter(function (t) { var r = t.getBoundingClientRect();
    return r.left < card.left || r.right > card.right; })
    .map(function (t) { return t.textContent; });
  out.charts.push({fill: box.width / (card.width - 34), outside: outside});
});
return out;
"""


@pytest.fixture
def report_week(transactional_db, history, other_agent):
    other_agent.first_name, other_agent.last_name = "Sam", "Okafor"
    other_agent.save(update_fields=["first_name", "last_name"])
    return history


def _dark(browser, on: bool) -> None:
    features = [{"name": "prefers-color-scheme", "value": "dark" if on else "light"}]
    browser.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": features})


def _check_layout(browser, width: int) -> None:
    browser.driver.set_window_size(width, 900)
    layout = browser.driver.execute_script(_LAYOUT)
    assert layout["overflow"] <= 0, f"the page scrolls sideways at {width} px"
    assert len(layout["charts"]) == 2
    for chart in layout["charts"]:
        assert chart["fill"] > 0.95, f"a chart uses {chart['fill']:.0%} of its card at {width} px"
        assert not chart["outside"], f"labels past the card at {width} px: {chart['outside']}"


def test_a_manager_reads_the_report_on_a_desk_and_on_a_phone(
    browser, live_server, report_week, manager
):
    url = live_server.url
    browser.sign_in(url, "maria", "pw-maria")
    _dark(browser, False)
    browser.get(f"{url}/reports/?{QUERY}")
    assert "Mon 23 Nov 2026" in browser.text(".report-range")
    assert "Sam Okafor" in browser.text("#breakdown")
    for width in (1280, 390):
        _check_layout(browser, width)
    browser.driver.set_window_size(390, 900)
    label = browser.driver.execute_script(
        "var td = document.querySelector('#breaches tbody td[data-label=\"Late\"]');"
        "return getComputedStyle(td, '::before').content;"
    )
    assert label == '"Late"', "a phone shows each cell under its heading"
    browser.screenshot("reports-light")
    _dark(browser, True)
    browser.get(f"{url}/reports/?{QUERY}")
    background = browser.driver.execute_script(
        "return getComputedStyle(document.body).backgroundColor"
    )
    assert background == "rgb(16, 20, 28)", "the page follows the system's dark setting"
    _check_layout(browser, 390)
    browser.screenshot("reports-dark")
    _dark(browser, False)
    assert not browser.csp_violations()


def test_a_missing_page_and_the_admin_look_like_sla_ops(browser, live_server, manager):
    url = live_server.url
    browser.sign_in(url, "maria", "pw-maria")
    browser.get(f"{url}/threads/999999/nothing/")
    assert "We could not find that page" in browser.text("#error-page h1")
    browser.screenshot("error-404")
    _dark(browser, True)
    browser.get(f"{url}/no-such-page/")
    browser.screenshot("error-404-dark")
    _dark(browser, False)
    browser.driver.get_log("browser")  # forget what the pages before logged
    browser.get(f"{url}/admin/")
    icon = browser.attribute("link[rel=icon]", "href")
    assert icon.endswith("/static/slaops/favicon.svg")
    status = browser.driver.execute_async_script(
        "var done = arguments[1]; fetch(arguments[0]).then(function (r) { done(r.status); });", icon
    )
    assert status == 200
    failures = [e["message"] for e in browser.driver.get_log("browser") if "404" in e["message"]]
    assert not failures, failures
    browser.screenshot("admin-index")
