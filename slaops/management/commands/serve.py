"""manage.py serve: the web server and a django-q2 cluster together, stopped together by Ctrl-C.

The embedded shape in one command; in production run gunicorn and qcluster as separate services.
"""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run gunicorn and qcluster together until Ctrl-C (the embedded shape)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, host, port, workers, **options):
        python = sys.executable
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
                ]
            ),
            subprocess.Popen([python, "manage.py", "qcluster"]),
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
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
        failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, None)]
        if failed and not stopping:
            raise SystemExit(f"serve: a process exited with code {failed[0].returncode}")
        self.stdout.write("Stopped.")
