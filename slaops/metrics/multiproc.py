"""prometheus_client's multiprocess mode: where its files are, and the process group's start and
its workers' exits. No Django import: gunicorn's configuration imports this."""

import os
from pathlib import Path

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> Path | None:
    configured = os.environ.get(MULTIPROC_DIR_VARIABLE)
    return Path(configured) if configured else None


def clear_multiprocess_dir() -> None:
    """A process group's start: the files of processes that ran before it are gone (their
    counts would be added to the new ones). Only prometheus_client's own *.db files."""
    directory = multiprocess_dir()
    if directory is None or not directory.is_dir():
        return
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)


def worker_exited(pid: int) -> None:
    """gunicorn's child_exit: a live gauge of a dead worker is dropped (prometheus_client)."""
    if multiprocess_dir() is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
