"""Point Django at a scratch PostgreSQL database for a benchmark (created if missing, migrated).

BENCH_DATABASE_URL, when set, is used as given (database name included); otherwise each bench
gets its own database next to the default postgres://postgres@127.0.0.1:5432/slaops_bench.
Every bench prints the load average it ran under, so a figure measured on a busy machine says so.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/slaops_bench"


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def setup(url: str | None = None, *, name: str | None = None) -> str:
    """Each benchmark passes its own database name, so two can run at once; BENCH_DATABASE_URL
    names one database for all of them."""
    print(f"# {load_average()} at the start")
    given = url or os.environ.get("BENCH_DATABASE_URL")
    url = given or DEFAULT_URL
    if name and not given:
        url = url.rsplit("/", 1)[0] + f"/slaops_bench_{name}"
    parsed = urlparse(url)
    import psycopg

    try:
        admin = psycopg.connect(
            host=parsed.hostname,
            port=parsed.port or 5432,
            user=parsed.username or "postgres",
            dbname="postgres",
            autocommit=True,
            connect_timeout=3,
        )
    except psycopg.OperationalError as error:
        print(f"skipped: this benchmark needs PostgreSQL at {url} ({error})".splitlines()[0])
        raise SystemExit(0) from None
    name = parsed.path.lstrip("/")
    if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        admin.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "slaops.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as devnull:
        call_command("seed_demo", verbosity=0, stdout=devnull)
    return url


def truncate_threads() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE threads_slaevent, threads_slaclock, threads_message, threads_thread "
            "RESTART IDENTITY CASCADE"
        )


# Plain static storage for page benches: the page is timed, not whether collectstatic ran.
PLAIN_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def time_page(client, url: str, requests: int, check=None) -> tuple[float, float, int]:
    """GET `url` `requests` times after a warm-up (calendar tables, policy book, plans):
    (p50 ms, p95 ms, queries of one request). `check(response)` vets each warm-up answer."""
    import statistics
    import time

    from django.db import connection

    for _ in range(5):
        response = client.get(url)
        assert response.status_code == 200
        if check is not None:
            check(response)
    queries = []
    with connection.execute_wrapper(lambda execute, *args: queries.append(1) or execute(*args)):
        client.get(url)
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], len(queries)
