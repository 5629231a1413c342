"""The operator's side: configuration by environment variables alone."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SLAOPS_TEST"))}
    clean.pop("DATABASE_URL", None)
    clean.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "slaops.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k" * 10 + "a-long-random-production-secret-with-many-characters-0123456789",
    "ALLOWED_HOSTS": "sla.example.com",
    "HTTPS": "true",
    "DATABASE_URL": "postgres://slaops@db.example.com:5432/slaops",
    "REDIS_URL": "redis://cache.example.com:6379/0",
    "EMAIL_URL": "smtp+tls://alerts:secret@mail.example.com:587",
}


def test_check_deploy_is_clean_with_production_values(tmp_path):
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", SLAOPS_VAR_DIR=str(tmp_path), **PRODUCTION
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_redis_url_switches_the_task_broker(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "print(s.Q_CLUSTER.get('redis'), s.Q_CLUSTER.get('orm'))"
    )
    embedded = run_manage("shell", "-v", "0", "-c", code, SLAOPS_VAR_DIR=str(tmp_path))
    assert embedded.stdout.split() == ["None", "default"], embedded.stderr
    scaled = run_manage(
        "shell", "-v", "0", "-c", code, SLAOPS_VAR_DIR=str(tmp_path), REDIS_URL="redis://r:6379/1"
    )
    assert scaled.stdout.split() == ["redis://r:6379/1", "None"], scaled.stderr


def test_embedded_mode_needs_no_secret_key_and_keeps_the_one_it_generated(tmp_path):
    code = (
        "from django.conf import settings as s; print(s.SECRET_KEY, s.DATABASES['default']['NAME'])"
    )
    first = run_manage("shell", "-v", "0", "-c", code, SLAOPS_VAR_DIR=str(tmp_path))
    second = run_manage("shell", "-v", "0", "-c", code, SLAOPS_VAR_DIR=str(tmp_path))
    key, db_name = first.stdout.split()
    assert len(key) > 50 and first.stdout == second.stdout
    assert db_name == str(tmp_path / "db.sqlite3")


def test_django_q_is_tuned_for_alerting():
    from django.conf import settings

    q = settings.Q_CLUSTER
    assert q["catch_up"] is False
    assert q["timeout"] < q["retry"]
    assert 1 <= q["max_attempts"] <= 5


def test_rate_limits_count_across_web_workers(tmp_path):
    """The API's throttle counts live in a cache every process shares: files beside the SQLite
    database in the embedded shape, Redis when there is one (a per-process cache would let each
    gunicorn worker grant the whole rate again)."""
    show = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    embedded = run_manage("shell", "-c", show, SLAOPS_VAR_DIR=str(tmp_path))
    assert embedded.stdout.strip().endswith("FileBasedCache"), embedded.stderr
    scaled = run_manage("shell", "-c", show, SLAOPS_VAR_DIR=str(tmp_path), **PRODUCTION)
    assert scaled.stdout.strip().endswith("RedisCache"), scaled.stderr
