"""Where one evaluator tick spends its time: wall time, queries and database time per phase,
and a cProfile of a second tick (bench/evaluator.py --phases).

Each phase is a function of the tick wrapped for the duration of the measurement; a phase's own
time excludes the phases it calls. Database time is the time spent inside cursor.execute of the
queries the phase sent (round trip included; a COPY is not a cursor.execute and counts as
Python); the rest of its own time is Python. CPU is this process's CPU time in the phase: on a
busy machine the wall times swell with the waiting, the CPU times much less.
"""

import cProfile
import io
import pstats
import time
from contextlib import ExitStack, contextmanager
from importlib import import_module

# (module, attribute path, label): the steps of a tick, wrapped where they exist.
PHASES = [
    ("threads.evaluator", "evaluate", "evaluate (the rest)"),
    ("threads.evaluator", "due_thread_ids", "due_thread_ids"),
    ("threads.clocks.store", "lock_batch", "lock_batch"),
    ("threads.clocks.rules", "Clockwork.apply", "apply TimePassed (rules)"),
    ("threads.clocks.store", "save", "save (the rest)"),
    ("django.db.models.base", "Model.save", "save: {model}.save"),
    ("threads.clocks.store", "update_rows", "save: update clocks"),
    ("threads.clocks.store", "save_threads", "save: update threads"),
    ("django.db.models.query", "QuerySet.bulk_create", "bulk_create {model}"),
    ("threads.alerting.outbox", "record_alerts", "record_alerts (the rest)"),
    ("threads.alerting.outbox", "outbox_for", "record_alerts: outbox_for"),
    ("threads.alerting.outbox", "save_outbox", "record_alerts: save_outbox"),
]


class Recorder:
    def __init__(self):
        self.stack: list[list] = []  # [label, started, children's time, cpu, children's cpu]
        self.rows: dict[str, list] = {}  # label -> [calls, own s, queries, db s, own cpu s]

    def row(self, label: str) -> list:
        return self.rows.setdefault(label, [0, 0.0, 0, 0.0, 0.0])

    @contextmanager
    def phase(self, label: str):
        self.stack.append([label, time.perf_counter(), 0.0, time.process_time(), 0.0])
        try:
            yield
        finally:
            label, started, children, cpu_started, children_cpu = self.stack.pop()
            spent = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            row = self.row(label)
            row[0] += 1
            row[1] += spent - children
            row[4] += cpu - children_cpu
            if self.stack:
                self.stack[-1][2] += spent
                self.stack[-1][4] += cpu

    def query(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            label = self.stack[-1][0] if self.stack else "outside"
            row = self.row(label)
            row[2] += 1
            row[3] += time.perf_counter() - started

    def wrap(self, function, label: str):
        recorder = self

        def wrapped(*args, **kwargs):
            name = label
            if "{model}" in label:
                model = getattr(args[0], "model", None) or type(args[0])
                name = label.format(model=model.__name__)
            with recorder.phase(name):
                return function(*args, **kwargs)

        return wrapped

    def table(self, total: float, total_cpu: float) -> str:
        lines = [
            f"{'phase':<34}{'calls':>6}{'queries':>8}{'db ms':>8}{'python ms':>10}{'own ms':>8}"
            f"{'cpu ms':>8}",
            "-" * 82,
        ]
        for label, (calls, own, queries, db, cpu) in self.rows.items():
            lines.append(
                f"{label:<34}{calls:>6}{queries:>8}{db * 1000:>8.1f}{(own - db) * 1000:>10.1f}"
                f"{own * 1000:>8.1f}{cpu * 1000:>8.1f}"
            )
        queries = sum(r[2] for r in self.rows.values())
        db = sum(r[3] for r in self.rows.values())
        lines.append(
            f"{'total':<34}{'':>6}{queries:>8}{db * 1000:>8.1f}{(total - db) * 1000:>10.1f}"
            f"{total * 1000:>8.1f}{total_cpu * 1000:>8.1f}"
        )
        return "\n".join(lines)


@contextmanager
def _patched(recorder: Recorder):
    from django.db import connection

    originals = []
    for module_name, path, label in PHASES:
        owner = import_module(module_name)
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        if name not in vars(owner):
            continue
        original = vars(owner)[name]
        originals.append((owner, name, original))
        setattr(owner, name, recorder.wrap(original, label))
    commit = connection.commit
    connection.commit = recorder.wrap(commit, "commit")
    try:
        with ExitStack() as stack:
            stack.enter_context(connection.execute_wrapper(recorder.query))
            yield
    finally:
        del connection.commit
        for owner, name, original in originals:
            setattr(owner, name, original)


def profile_tick(evaluate, reset) -> str:
    """Two ticks from the same start: one timed by phase, one under cProfile."""
    import threads.evaluator

    recorder = Recorder()
    reset()
    with _patched(recorder):
        started, cpu = time.perf_counter(), time.process_time()
        threads.evaluator.evaluate()
        total, total_cpu = time.perf_counter() - started, time.process_time() - cpu
    reset()
    profiler = cProfile.Profile()
    profiler.enable()
    evaluate()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(18)
    stats.sort_stats("cumulative").print_stats(30)
    return recorder.table(total, total_cpu) + "\n\ncProfile of another tick:\n" + out.getvalue()
