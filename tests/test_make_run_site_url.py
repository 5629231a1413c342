"""The operator runs `make run PORT=8123`: the address it prints, the one every step of it is
given and the links alerts carry are one and the same.

The Makefile's own recipe runs, with `manage.py` replaced by a recorder: each step notes the
SITE_URL it was given, and `serve` asks a child process (as the qcluster it starts is one,
inheriting its environment) for an alert's thread link. Nothing is served, nothing is installed.
"""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")

RECORDER = textwrap.dedent(
    """
    import os, subprocess, sys
    step = sys.argv[1]
    with open(os.environ["RECORD"], "a") as record:
        record.write(f"{step} {os.environ.get('SITE_URL', '(unset)')}\\n")
        if step == "serve":  # what the qcluster that serve starts would link alerts to
            child = subprocess.run(
                [sys.executable, "-c", os.environ["ALERT_LINK"]],
                capture_output=True, text=True, timeout=60,
            )
            record.write(f"alert-link {child.stdout.strip() or child.stderr[-500:]}\\n")
    """
)
ALERT_LINK = (
    "import django; django.setup();"
    "from threads.models import Thread; from threads.alerting.alert import thread_url;"
    "print(thread_url(Thread(pk=7)))"
)


def make_run(tmp_path, *, port="8123", **env):
    recorder = tmp_path / "manage.py"
    recorder.write_text(RECORDER)
    record = tmp_path / "record.txt"
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SLAOPS_", "MAKE")) and k not in ("SITE_URL", "PORT")
    }
    result = subprocess.run(
        ["make", "-s", "run", f"PORT={port}", f"MANAGE={sys.executable} {recorder}", "STAMP="],
        cwd=ROOT,
        env={
            **clean,
            "RECORD": str(record),
            "ALERT_LINK": ALERT_LINK,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "slaops.settings",
            "SLAOPS_VAR_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    steps = dict(line.split(" ", 1) for line in record.read_text().splitlines())
    return result.stdout, steps


def test_make_run_on_another_port_prints_and_links_that_port(tmp_path):
    printed, steps = make_run(tmp_path, port="8123")

    assert "SLA Ops is running at http://127.0.0.1:8123/" in printed
    for step in ("migrate", "seed_demo", "ensure_schedules", "demo_logins", "serve"):
        assert steps[step] == "http://127.0.0.1:8123", step
    assert steps["alert-link"] == "http://127.0.0.1:8123/threads/7/"


def test_a_site_url_the_operator_sets_is_printed_and_linked_as_given(tmp_path):
    printed, steps = make_run(tmp_path, port="8123", SITE_URL="https://sla.example.com/")

    assert "SLA Ops is running at https://sla.example.com/" in printed
    assert steps["seed_demo"] == steps["serve"] == "https://sla.example.com/"
    assert steps["alert-link"] == "https://sla.example.com/threads/7/"


def test_an_empty_site_url_counts_as_unset(tmp_path):
    printed, steps = make_run(tmp_path, port="8124", SITE_URL="")

    assert "SLA Ops is running at http://127.0.0.1:8124/" in printed
    assert steps["alert-link"] == "http://127.0.0.1:8124/threads/7/"
