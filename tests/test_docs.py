"""The documentation: the site builds without a warning, and what the docs name exists.

The checker is tests/doc_references.py; these tests run it on the real docs and on sample texts,
so a file renamed without its docs (the README once named `threads/clockwork.py` long after it
became threads/clocks/) fails here.
"""

import re
import subprocess
import sys

import pytest

from tests.doc_references import ROOT, check_docs, check_text, env_read_by_product, known


@pytest.fixture(scope="module")
def facts():
    return known()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs") / "html"
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "docs", out],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return run, out


def test_the_site_builds_with_warnings_as_errors(built):
    run, out = built
    assert run.returncode == 0, run.stderr
    pages = {p.name for p in out.glob("*.html")}
    assert {"index.html", "rules.html", "api.html", "operations.html", "security.html"} <= pages


def test_the_built_pages_have_no_inline_script(built):
    # The site is served under the product's CSP (script-src 'self'): an inline script would be
    # refused by the browser and logged as a CSP error on every page (Furo's theme switch was
    # one: docs/_templates/base.html leaves it out).
    _, out = built
    pages = list(out.glob("*.html"))
    assert pages
    for page in pages:
        html = page.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page.name
        assert not re.search(r"\son[a-z]+=\"", html), page.name


def test_every_name_in_the_docs_exists():
    problems = check_docs()
    assert not problems, "\n".join(map(str, problems))


def test_a_renamed_file_fails_the_check(facts):
    text = "The rules live in `threads/clockwork.py`.\n"
    assert [str(p) for p in check_text(text, "sample.md", facts)] == [
        "sample.md:1: file `threads/clockwork.py` does not exist"
    ]
    assert check_text("The rules live in `threads/clocks/rules.py`.\n", "ok.md", facts) == []


def test_a_missing_command_target_setting_or_url_fails_the_check(facts):
    text = "\n".join(
        [
            "Run `manage.py seed_everything`, then `make deploy`.",
            "Set `SLA_NO_SUCH_SETTING=1` and open `/no-such-page/`.",
            "```sh",
            ".venv/bin/python manage.py import_history x.jsonl",
            "```",
        ]
    )
    found = {(p.line, p.kind, p.name) for p in check_text(text, "sample.md", facts)}
    assert found == {
        (1, "manage.py command", "seed_everything"),
        (1, "make target", "deploy"),
        (2, "setting", "SLA_NO_SUCH_SETTING"),
        (2, "URL", "/no-such-page/"),
        (4, "manage.py command", "import_history"),
    }


def test_what_exists_passes_the_check_with_placeholders_allowed(facts):
    text = "\n".join(
        [
            "`manage.py poll_mail`, `make run`, `PORT=9000 make run`, `MAIL_POLL_EVERY`,",
            "`SLA_HEALTH_*`, `LOG_FORMAT=json`, `/api/v1/threads/{id}/messages/`,",
            "`/threads/<id>/`, `/mail/inbound/<provider>/`, `/api/v1/threads/?state=breaching`,",
            "`samples/*.eml`, `.env.example`, `var/demo-logins.txt`, `https://example.com/x`.",
        ]
    )
    assert check_text(text, "sample.md", facts) == []


def test_every_variable_the_product_reads_is_in_env_example_and_the_docs():
    example = (ROOT / ".env.example").read_text()
    docs = "\n".join(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))
    read = env_read_by_product()
    assert "SLA_EVALUATE_EVERY" in read and "SLA_HEALTH_TICK_SECONDS" in read
    missing_example = sorted(n for n in read if not re.search(rf"^#? ?{n}=", example, re.M))
    missing_docs = sorted(n for n in read if f"`{n}`" not in docs and f"`{n}=" not in docs)
    assert not missing_example, f".env.example lacks {missing_example}"
    assert not missing_docs, f"docs/ never name {missing_docs}"


def test_env_example_states_the_defaults_the_settings_use():
    # .env.example once suggested Q_WORKERS=2 where the setting's default is 4.
    example = (ROOT / ".env.example").read_text()
    settings = (ROOT / "slaops/settings.py").read_text()
    for name, default in re.findall(r'env\.int\("([A-Z_]+)", default=(\d+)\)', settings):
        shown = re.search(rf"^# {name}=(\S+)$", example, re.M)
        if shown and shown.group(1).isdigit():
            assert shown.group(1) == default, f"{name}: .env.example says {shown.group(1)}"


@pytest.fixture
def served(settings, built):
    run, out = built
    assert run.returncode == 0, run.stderr
    settings.DOCS_ROOT = out
    return out


@pytest.mark.django_db
def test_the_site_is_served_at_docs_under_the_products_csp(client, served):
    page = client.get("/docs/")
    assert page.status_code == 200
    assert b"SLA Ops" in page.getvalue()
    csp = page["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert client.get("/docs/rules.html").status_code == 200
    stylesheet = next(served.glob("_static/styles/furo.css"))
    assert client.get(f"/docs/{stylesheet.relative_to(served)}").status_code == 200
    assert client.head("/docs/architecture.html").status_code == 200
    assert client.get("/docs").status_code == 301  # to /docs/


@pytest.mark.django_db
def test_the_site_serves_nothing_outside_its_build(client, served):
    assert client.get("/docs/../../slaops/settings.py").status_code == 404
    assert client.get("/docs/%2e%2e/%2e%2e/slaops/settings.py").status_code == 404
    assert client.get("/docs/no-such-page.html").status_code == 404
    assert client.post("/docs/index.html").status_code == 405
    # Sphinx's own files (the pickled environment names the checkout's path) are not pages.
    assert (served / ".buildinfo").exists() and (served / ".doctrees").is_dir()
    assert client.get("/docs/.buildinfo").status_code == 404
    assert client.get("/docs/.doctrees/environment.pickle").status_code == 404


@pytest.mark.django_db
def test_an_unbuilt_site_says_how_to_build_it(client, settings, tmp_path):
    settings.DOCS_ROOT = tmp_path / "missing"
    page = client.get("/docs/")
    assert page.status_code == 404
    assert b"make docs" in page.content
