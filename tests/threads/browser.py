"""Headless Chromium through Selenium for the real-browser tests: start it, sign in, screenshot,
and read what the Content-Security-Policy refused.

The Debian packages `chromium` and `chromium-driver` provide the browser (tests/setup_browser.sh
installs them when missing); `BrowserUnavailable` says why it could not start so the tests can
skip with that reason.
"""

import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DESKTOP, PHONE = 1280, 390
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--lang=en-US",
]


_RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " refused " + (e.blockedURI || "inline")
                              + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


class BrowserUnavailable(Exception):
    pass


class Browser:
    """One Chromium for a test module, with its own throwaway profile."""

    def __init__(self):
        try:
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service
        except ImportError as error:  # requirements-dev.txt not installed
            raise BrowserUnavailable(f"selenium is not installed ({error})") from None
        for path in (CHROMIUM, CHROMEDRIVER):
            if not Path(path).exists():
                raise BrowserUnavailable(f"{path} is missing (run tests/setup_browser.sh)")
        self.profile = tempfile.mkdtemp(prefix="slaops-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in [*FLAGS, f"--user-data-dir={self.profile}", f"--window-size={DESKTOP},900"]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        try:
            self.driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        except Exception as error:  # a broken install, no shared memory, …
            shutil.rmtree(self.profile, ignore_errors=True)
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            raise BrowserUnavailable(f"Chromium did not start: {first_line}") from None
        self.driver.set_page_load_timeout(20)
        # Every page records what its policy refused, from before its first script runs.
        self.driver.execute_cdp_cmd(
            "Page.addScriptToEvaluateOnNewDocument", {"source": _RECORD_CSP_VIOLATIONS}
        )

    def quit(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    # ------------------------------------------------------------------------------- helpers

    def get(self, url: str) -> None:
        self.driver.get(url)

    def find(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def _retry(self, action, css: str):
        """Run `action` on the element, again if a live refresh replaced it meanwhile, or the
        page it was found in was left (Chromium then says the node "does not belong to the
        document" rather than that it is stale)."""
        from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

        for attempt in range(5):
            try:
                return action(self.find(css))
            except StaleElementReferenceException:
                if attempt == 4:
                    raise
            except WebDriverException as error:
                if "does not belong to the document" not in str(error) or attempt == 4:
                    raise
        return None

    def text(self, css: str) -> str:
        return self._retry(lambda element: element.text, css)

    def attribute(self, css: str, name: str) -> str | None:
        return self._retry(lambda element: element.get_attribute(name), css)

    def click(self, css: str) -> None:
        self._retry(lambda element: element.click(), css)

    def rows(self, css: str = "#queue-rows tr[data-thread]") -> list[dict]:
        """The rows of a table read in one go (htmx may swap the table between two reads)."""
        return self.driver.execute_script(
            """return Array.from(document.querySelectorAll(arguments[0])).map(function (r) {
                 var link = r.querySelector("td.subject a"), left = r.querySelector("td.left");
                 return {thread: r.dataset.thread, state: r.className.replace("state-", ""),
                         subject: link ? link.textContent : "", left: left ? left.textContent : "",
                         title: left && left.querySelector("time") ?
                                left.querySelector("time").title : ""};
               });""",
            css,
        )

    def wait_for(self, condition, timeout: float = 10, message: str = ""):
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(
            lambda _driver: condition(), message
        )

    def sign_in(self, base_url: str, username: str, password: str) -> None:
        self.get(f"{base_url}/login/")
        self.find("#id_username").send_keys(username)
        self.find("#id_password").send_keys(password)
        self.find("#login-form button[type=submit]").click()
        self.wait_for(lambda: "/login/" not in self.driver.current_url, message="still on login")

    def sign_out(self) -> None:
        self.find("header form[action$='/logout/'] button").click()
        self.wait_for(lambda: "/login/" in self.driver.current_url, message="not signed out")

    def csp_violations(self) -> list[str]:
        """What the Content-Security-Policy refused: on this page (its own listener) and since the
        last call (the console, where Chromium reports every refusal)."""
        on_page = self.driver.execute_script("return window.__cspViolations || []")
        console = [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if "Content Security Policy" in entry["message"]
        ]
        return [*on_page, *console]

    def screenshot(self, name: str) -> list[Path]:
        """The whole page at desktop and phone width; returns the PNG paths."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        paths = []
        for width, suffix in ((DESKTOP, "desktop"), (PHONE, "phone")):
            self.driver.set_window_size(width, 900)
            # The window is taller than the page area by the (invisible) browser chrome.
            height, chrome = self.driver.execute_script(
                "return [Math.max(document.documentElement.scrollHeight,"
                " document.body.scrollHeight), window.outerHeight - window.innerHeight]"
            )
            self.driver.set_window_size(width, min(max(int(height), 600), 6000) + int(chrome))
            path = SCREENSHOTS / f"{name}-{suffix}.png"
            self.driver.save_screenshot(str(path))
            paths.append(path)
        self.driver.set_window_size(DESKTOP, 900)
        return paths


# The thread page's polls (its #thread-live element), counted from the first call on a page.
_POLLS = """
window.slaopsPolls = window.slaopsPolls || 0;
if (!window.slaopsCounting) {
  window.slaopsCounting = true;
  document.body.addEventListener('htmx:afterRequest', function (event) {
    if (event.detail.elt.id === 'thread-live' && event.detail.successful) window.slaopsPolls++;
  });
}
return window.slaopsPolls;
"""


def polled(browser: Browser) -> int:
    return browser.driver.execute_script(_POLLS)


def quiet_after_a_poll(browser: Browser) -> None:
    """Wait for a poll of the thread page to finish with no request in flight: the live server
    shares the in-memory SQLite connection with the test, which may write just after it."""
    seen = polled(browser)
    browser.wait_for(
        lambda: (
            polled(browser) > seen
            and not browser.driver.execute_script("return document.querySelector('.htmx-request')")
        ),
        timeout=10,
        message="the thread page did not poll",
    )
