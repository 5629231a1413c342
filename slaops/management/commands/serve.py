"""manage.py serve: the web server and a django-q2 cluster together, stopped together by Ctrl-C.

The embedded shape in one command; in production run gunicorn and qcluster as separate services.
Each child runs in its own process group, so Ctrl-C reaches only this command, which stops them
in order: SIGTERM to each (gunicorn stops its workers, qcluster finishes its in-flight sends),
then SIGKILL to whatever is left of each group (workers included) when STOP_WITHIN is up.
"""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

STOP_WITHIN = 9.0  # seconds from Ctrl-C to nothing left running (Ctrl-C must stop all in 10 s)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_groups(children: list[subprocess.Popen], within: float = STOP_WITHIN) -> None:
    """SIGTERM each child, then SIGKILL every process left in its group when `within` is up."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for child in children:
            child.poll()  # reap the leader so its group empties
        if not any(group_alive(child.pid) for child in children):
            return
        time.sleep(0.1)
    for child in children:
        if group_alive(child.pid):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=5)


class Command(BaseCommand):
    help = "Run gunicorn and qcluster together until Ctrl-C (the embedded shape)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, host, port, workers, **options):
        python = sys.executable
        # Run by hand (not through make run), alert links follow the port served, as the
        # children read SITE_URL from their environment.
        if not os.environ.get("SITE_URL"):
            os.environ["SITE_URL"] = f"http://127.0.0.1:{port}"
        children = [
            subprocess.Popen(
                [
                    python,
                    "-m",
                    "gunicorn",
                    "slaops.wsgi",
                    "--bind",
                    f"{host}:{port}",
                    "--workers",
                    str(workers),
                    "--access-logfile",
                    "-",
                    "--graceful-timeout",
                    "5",
                    # gunicorn's control socket lives in the user's home, shared by every
                    # instance on the machine; the embedded shape is stopped by Ctrl-C instead.
                    "--no-control-socket",
                ],
                process_group=0,
            ),
            subprocess.Popen([python, "manage.py", "qcluster"], process_group=0),
        ]
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.3)
        finally:
            stop_groups(children)
        failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, None)]
        if failed and not stopping:
            raise SystemExit(f"serve: a process exited with code {failed[0].returncode}")
        self.stdout.write("Stopped.")
