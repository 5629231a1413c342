"""One import spread over worker processes, one per core, on PostgreSQL.

The parent reads the file and hands each line to the worker its thread belongs to (by its
source and external id, so no two workers ever write one thread, and a thread given twice is
imported by the first line that names it, as in one process). Each worker imports its lines in
batches with its own connection, exactly as one process does (the bad-line contract included),
and reports after every batch; the parent merges the reports, keeps the errors in line order
and prints progress. A small file, SQLite, or an import inside a caller's transaction (which
the workers could not see) stays in one process.
"""

import json
import multiprocessing
import os
import queue
import zlib

from django.db import connection, connections

from threads.importer.report import ImportReport

# Fewer lines than this are imported in one process: starting workers would cost more.
PARALLEL_FROM = 2000
CHUNK = 250  # lines handed to a worker at a time
QUEUED_CHUNKS = 8  # per worker: the parent never reads far ahead of the workers


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def possible() -> bool:
    return (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and "fork" in multiprocessing.get_all_start_methods()
    )


def worker_of(raw, workers: int) -> int:
    """The worker a line goes to: by its thread's key (a line that is not a JSON object goes to
    the first, which reports it)."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return 0
    if not isinstance(data, dict):
        return 0
    source = data.get("source")
    key = repr((source if source is not None else "import", data.get("external_id")))
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % workers


def run(importer, head: list, rest, report, progress=None):
    """Import `head` and then `rest` ((number, line) pairs) with `importer.workers` processes."""
    count = importer.workers
    context = multiprocessing.get_context("fork")
    connections.close_all()  # each worker opens its own; none may share the parent's socket
    inboxes = [context.Queue(maxsize=QUEUED_CHUNKS) for _ in range(count)]
    outbox = context.Queue()
    processes = [
        context.Process(target=_work, args=(importer, inbox, outbox), daemon=True)
        for inbox in inboxes
    ]
    for process in processes:
        process.start()
    merged = _Merged(report, progress, count, outbox)
    buffers: list[list] = [[] for _ in range(count)]
    failure, last = None, 0
    try:
        try:
            for lines in (head, rest):
                for number, raw in lines:
                    last = number
                    worker = worker_of(raw, count)
                    buffer = buffers[worker]
                    buffer.append((number, raw))
                    if len(buffer) >= CHUNK:
                        inboxes[worker].put(buffer)
                        buffers[worker] = []
                        merged.collect(block=False)
        except OSError as error:
            failure = error  # the file failed midway: what was read before it is imported
        for inbox, buffer in zip(inboxes, buffers, strict=True):
            if buffer:
                inbox.put(buffer)
            inbox.put(None)
        while merged.running:
            merged.collect(block=True)
    finally:
        for process in processes:
            process.join(timeout=0 if merged.failed else None)
            if process.is_alive():
                process.terminate()
    if merged.failed:
        raise RuntimeError(f"an import worker failed: {merged.failed}")
    report.lines = last
    report.errors.sort(key=lambda error: error[0])
    if failure is not None:
        raise failure
    if progress:
        progress(report, final=True)
    return report


class _Merged:
    """The parent's report: the workers' counts added up as their batches end."""

    def __init__(self, report, progress, workers: int, outbox):
        self.report, self.progress, self.outbox = report, progress, outbox
        self.running = workers
        self.failed = ""

    def collect(self, *, block: bool) -> None:
        while self.running:
            try:
                message = self.outbox.get(block)
            except queue.Empty:
                return
            kind, *values = message
            if kind == "batch":
                # Progress counts the lines the workers are done with, not those read ahead.
                lines, imported, existing, errors = values
                self.report.lines += lines
                self.report.imported += imported
                self.report.existing += existing
                self.report.errors.extend(errors)
                if self.progress:
                    self.progress(self.report)
            else:
                self.running -= 1
                if kind == "failed":
                    self.failed = self.failed or values[0]
            block = False


def _work(importer, inbox, outbox) -> None:
    report = ImportReport()
    read = [0]
    sent = [0, 0, 0, 0]

    def send(report, final=False):
        lines, imported, existing, errors = sent
        outbox.put(
            (
                "batch",
                read[0] - lines,
                report.imported - imported,
                report.existing - existing,
                report.errors[errors:],
            )
        )
        sent[:] = [read[0], report.imported, report.existing, len(report.errors)]

    try:
        importer.run_numbered(_lines(inbox, read), report, send)
    except BaseException as error:  # noqa: BLE001 - the parent says it and stops
        outbox.put(("failed", repr(error)))
    else:
        outbox.put(("done",))
    finally:
        connections.close_all()
        outbox.close()
        outbox.join_thread()


def _lines(inbox, read: list):
    while (chunk := inbox.get()) is not None:
        for line in chunk:
            read[0] += 1
            yield line
