"""A poller killed with SIGKILL in the middle of a batch and started again: every message is
stored exactly once (real Dovecot, PostgreSQL, a real `manage.py poll_mail` process)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from mail.imap import poll
from mail.models import InboundEmail
from tests.mail.conftest import mail
from threads.models import Message, Thread

ROOT = Path(__file__).resolve().parents[2]
COUNT = 600
pytestmark = [pytest.mark.server("postgres"), pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    db = connection.settings_dict
    user, host, port = db["USER"] or "postgres", db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def test_a_poller_killed_mid_batch_and_restarted_stores_every_message_once(
    imap_server, imap_mailbox, tmp_path, settings
):
    settings.MAIL_INGEST_WORKERS = 4  # the restart ingests conversations side by side
    imap_server.deliver(
        imap_mailbox.imap_user,
        *[mail(message_id=f"<crash-{n}@acme.com>", subject=f"Case {n}") for n in range(COUNT)],
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "slaops.settings",
        "DATABASE_URL": database_url(),
        "SLAOPS_VAR_DIR": str(tmp_path),
        "SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.SALT_KEY),  # and read its secrets
        "SLA_ALLOW_PRIVATE_DESTINATIONS": "true",
        "SLA_DELIVER_ON_COMMIT": "false",
        "MAIL_POLL_BATCH": str(COUNT),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("SLAOPS_TEST_SERVERS", None)
    env.pop("REDIS_URL", None)
    with open(tmp_path / "poller.log", "w") as log:
        poller = subprocess.Popen(
            [sys.executable, "manage.py", "poll_mail", "--mailbox", imap_mailbox.name],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while InboundEmail.objects.count() < 80:  # well into the batch, far from its end
            assert poller.poll() is None, (tmp_path / "poller.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the poller stored nothing in 60 s"
            time.sleep(0.01)
        os.killpg(poller.pid, signal.SIGKILL)
    finally:
        if poller.poll() is None:
            os.killpg(poller.pid, signal.SIGKILL)
        poller.wait(timeout=10)
    killed_at = InboundEmail.objects.count()
    assert 0 < killed_at < COUNT
    assert imap_server.unread(imap_mailbox.imap_user) > COUNT - killed_at - 1  # some left unread

    restarted = poll(imap_mailbox, limit=COUNT)  # takes what is left, and what was not marked
    assert restarted.new == COUNT - killed_at
    assert poll(imap_mailbox).fetched == 0
    assert InboundEmail.objects.count() == COUNT
    assert Thread.objects.count() == COUNT
    assert Message.objects.count() == COUNT
    assert imap_server.unread(imap_mailbox.imap_user) == 0
