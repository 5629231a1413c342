"""The task cluster's clean stop: one flag, shared by the qcluster process and its workers, that
long tasks read to finish what they started and start nothing new.

django-q2 alone does not stop cleanly (see slaops/management/commands/qcluster.py for how it is
wired): workers run every task already fetched before they reach their stop pill, and a SIGTERM
sent to the whole process group kills the sentinel at once and leaves its workers orphaned.
Outside a cluster (web, tests, sync tasks) the flag is simply never raised.
"""

import multiprocessing
import os
import signal
import threading
import time

# Shared memory written without a lock, so a signal handler may raise it safely; created at
# import in the qcluster process, before it forks the sentinel and the workers.
_STOPPING = multiprocessing.get_context("fork").RawValue("b", 0)
# Tasks running in the cluster's workers, so the qcluster process can wait for them even when
# their sentinel is gone.
_BUSY = multiprocessing.get_context("fork").Value("i", 0)
_state = {"busy": False, "parent": None}


def stopping() -> bool:
    """True once the cluster was asked to stop: finish in-flight work, start nothing new."""
    return bool(_STOPPING.value)


def request_stop() -> None:
    _STOPPING.value = 1


def pause(seconds: float) -> bool:
    """Sleep, waking early if the cluster is asked to stop; False if it was."""
    deadline = time.monotonic() + seconds
    while not stopping():
        left = deadline - time.monotonic()
        if left <= 0:
            return True
        time.sleep(min(0.2, left))
    return False


def busy_tasks() -> int:
    return _BUSY.value


# ------------------------------------------------------------- in each worker (django-q2 signals)


def _on_sigterm(signum, frame) -> None:
    request_stop()
    if not _state["busy"]:
        raise SystemExit(0)  # idle: nothing to finish


def worker_spawned(**kwargs) -> None:
    """A worker stops on SIGTERM after its current task (django-q2's default kills it mid-task),
    and exits by itself once its sentinel is gone (a SIGTERM to the whole process group kills
    the sentinel at once; nobody would send the worker its stop pill)."""
    from django_q.conf import Conf

    if Conf.SYNC or threading.current_thread() is not threading.main_thread():
        return  # a task run in this process (sync mode, tests): no worker process to stop
    _state["parent"] = os.getppid()
    signal.signal(signal.SIGTERM, _on_sigterm)
    threading.Thread(target=_watch_parent, daemon=True, name="sentinel-watch").start()


def task_starting(**kwargs) -> None:
    _state["busy"] = True
    with _BUSY.get_lock():
        _BUSY.value += 1


def task_finished(**kwargs) -> None:
    with _BUSY.get_lock():
        _BUSY.value -= 1
    _state["busy"] = False


def _watch_parent() -> None:
    while True:
        time.sleep(0.3)
        if os.getppid() != _state["parent"]:
            request_stop()
            if not _state["busy"]:
                os._exit(0)
