"""On PostgreSQL a large file is shared by worker processes: what they import together, and what
they report, is what one process would have (bad lines by number, a thread given twice imported
once, threads already there counted as such)."""

import pytest

from accounts.models import Contact
from tests.threads.importer.conftest import file_of, history
from threads.importer import Importer, ImportReport, parallel, read_lines
from threads.models import Message, SlaClock, SlaEvent, Thread

pytestmark = pytest.mark.server("postgres")


@pytest.fixture
def shared(monkeypatch):
    """Workers from a few lines on, handed a few lines at a time; counts the runs they did."""
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 20)
    monkeypatch.setattr(parallel, "CHUNK", 7)
    runs = []
    run = parallel.run

    def counted(*args, **kwargs):
        runs.append(args[0].workers)
        return run(*args, **kwargs)

    monkeypatch.setattr(parallel, "run", counted)
    return runs


def a_file(tmp_path):
    lines = [history(n, contact_email=f"new{n % 9}@example.com") for n in range(1, 121)]
    lines[10] = "{not json"
    lines[30]["priority"] = "asap"
    lines[50] = history(3, contact_email="new3@example.com")  # line 3's thread again
    return file_of(tmp_path, lines)


@pytest.mark.django_db(transaction=True)
def test_two_workers_import_a_file_as_one_process_does(shared, standard, now, tmp_path):
    path = a_file(tmp_path)
    finals = []
    report = Importer(batch_size=10, workers=2).run(
        read_lines(path), ImportReport(), lambda report, final=False: finals.append(final)
    )
    assert shared == [2]
    assert (report.lines, report.imported, report.existing) == (120, 117, 1)
    assert [line for line, _ in report.errors] == [11, 31]
    assert report.errors[1][1].startswith("priority: 'asap' is not one of")
    assert finals[-1] is True and finals.count(True) == 1
    assert Thread.objects.count() == 117
    assert Message.objects.count() == 117 * 3
    assert SlaClock.objects.filter(metric="first_response").count() == 117
    assert Contact.objects.filter(email__startswith="new").count() == 9
    written = (SlaClock.objects.count(), SlaEvent.objects.count())

    again = Importer(batch_size=10, workers=2).run(read_lines(path), ImportReport())
    assert (again.imported, again.existing, len(again.errors)) == (0, 118, 2)

    Thread.objects.all().delete()
    alone = Importer(batch_size=10, workers=1).run(read_lines(path), ImportReport())
    assert (alone.imported, alone.existing, alone.errors) == (117, 1, report.errors)
    assert (SlaClock.objects.count(), SlaEvent.objects.count()) == written


@pytest.mark.django_db(transaction=True)
def test_a_small_file_stays_in_one_process(shared, standard, now, tmp_path):
    path = file_of(tmp_path, [history(n) for n in range(1, 11)])
    report = Importer(workers=2).run(read_lines(path), ImportReport())
    assert (shared, report.imported) == ([], 10)


@pytest.mark.django_db
def test_an_import_inside_a_transaction_stays_in_it(shared, standard, now, tmp_path):
    path = file_of(tmp_path, [history(n) for n in range(1, 41)])
    report = Importer(workers=2).run(read_lines(path), ImportReport())
    assert (shared, report.imported) == ([], 40)
