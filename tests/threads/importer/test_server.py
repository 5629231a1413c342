"""On PostgreSQL, where the database itself holds rules: a batch it refuses is tried line by line
so one line never costs its neighbours, and two imports of one file at once both end cleanly with
nothing doubled (the loser counts the other's threads as already there)."""

import threading

import pytest
from django.db import connection

from accounts.models import Contact
from tests.threads.importer.conftest import file_of, history
from threads import importer
from threads.importer import Importer, ImportReport, read_lines
from threads.models import Message, SlaClock, Thread

pytestmark = pytest.mark.server("postgres")


@pytest.mark.django_db
def test_a_line_the_database_refuses_costs_only_itself(standard, now, tmp_path, monkeypatch):
    # A check the importer lacked: the column's length is then only the database's rule.
    monkeypatch.setattr(importer.lines, "max_length", lambda model, name: None)
    lines = [history(n) for n in range(1, 501)]
    lines[6]["source"] = "s" * 60
    report = Importer().run(read_lines(file_of(tmp_path, lines)), ImportReport())
    assert report.imported == 499
    assert [line for line, _ in report.errors] == [7]
    assert report.errors[0][1].startswith("the database refused this line (")
    assert Thread.objects.count() == 499
    assert Message.objects.count() == 499 * 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("batch_sizes", [(100, 100), (100, 37)])
def test_two_imports_of_one_file_at_once_both_end_cleanly_with_nothing_doubled(
    batch_sizes, standard, now, tmp_path, monkeypatch
):
    assert connection.vendor == "postgresql"
    lines = [history(n, contact_email=f"new{n % 40}@example.com") for n in range(1, 301)]
    path = file_of(tmp_path, lines)
    # Both imports look for existing threads before either writes, so they collide for sure.
    both_planned = threading.Barrier(2)
    planned_once = set()
    plan = Importer._plan

    def plan_then_wait(self, batch):
        found = plan(self, batch)
        if threading.get_ident() not in planned_once:
            planned_once.add(threading.get_ident())
            both_planned.wait(timeout=20)
        return found

    monkeypatch.setattr(Importer, "_plan", plan_then_wait)
    retried = []
    one_by_one = Importer._import_one_by_one

    def retry(self, batch, report):
        retried.append(len(batch))
        return one_by_one(self, batch, report)

    monkeypatch.setattr(Importer, "_import_one_by_one", retry)
    reports, failures = [], []

    def run(batch_size):
        try:
            reports.append(Importer(batch_size=batch_size).run(read_lines(path), ImportReport()))
        except Exception as error:  # noqa: BLE001 - the assertion below shows it
            failures.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(size,)) for size in batch_sizes]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert not failures, failures
    assert retried, "the two imports never collided"
    assert [r.errors for r in reports] == [[], []]
    # Which import writes which batch is the race's to decide; together, each thread once.
    assert sum(r.imported for r in reports) == 300
    assert sum(r.existing for r in reports) == 300
    assert Thread.objects.count() == 300
    assert Message.objects.count() == 900
    assert SlaClock.objects.filter(metric="first_response").count() == 300
    assert Contact.objects.filter(email__startswith="new").count() == 40
