"""The account's statement in a real browser (headless Chromium): on screen at desk and phone
width, and printed to PDF the way a manager makes the copy to send (the print stylesheet leaves
out the menus and the form). Screenshots and the PDF land in test-artifacts/."""

import base64
import shutil
import subprocess

import pytest

from tests.objectives import test_statement
from tests.threads.browser import SCREENSHOTS

pytestmark = [pytest.mark.browser]
accounts, month = test_statement.accounts, test_statement.month  # around_the_clock: conftest


@pytest.fixture
def november(transactional_db, month):
    return month


def _print_media(browser, on: bool) -> None:
    browser.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print" if on else ""})


def test_a_manager_reads_and_prints_an_accounts_statement(browser, live_server, november, manager):
    url = f"{live_server.url}/reports/statement/{november['acme'].pk}/?period=2026-11"
    browser.sign_in(live_server.url, "maria", "pw-maria")
    browser.get(url)
    assert "Service statement: Acme" in browser.text("h1")
    assert browser.text("#statement-period").startswith("November 2026")
    assert browser.text("dd.compliance") == "75.00 %"
    assert "Our mail provider was down" in browser.text("table.statement-clocks")
    browser.screenshot("statement")
    _print_media(browser, True)
    hidden = browser.driver.execute_script(
        "return [getComputedStyle(document.querySelector('header.top')).display,"
        " getComputedStyle(document.querySelector('#statement-form')).display]"
    )
    assert hidden == ["none", "none"], "the printed statement has no menus and no form"
    browser.screenshot("statement-print")
    _print_media(browser, False)
    pdf = base64.b64decode(
        browser.driver.execute_cdp_cmd(
            "Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True}
        )["data"]
    )
    assert pdf.startswith(b"%PDF-")
    out = SCREENSHOTS.parent / "statement.pdf"
    out.write_bytes(pdf)
    if shutil.which("pdftoppm"):  # poppler-utils: the PDF opens and has a first page
        first_page = ["-png", "-r", "60", "-f", "1", "-l", "1"]
        subprocess.run(
            ["pdftoppm", *first_page, str(out), str(out.with_suffix(""))], check=True, timeout=60
        )
        assert out.with_name("statement-1.png").stat().st_size > 1000
    assert not browser.csp_violations()
