"""An operator imports a file with one bad line among 500: the 499 are imported and the bad line
is named by number, field and rule — whatever the line holds, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from accounts.models import Contact
from tests.threads.importer.conftest import NOW, file_of, history
from threads.models import Message, SlaClock, Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]
BAD_LINE = 7


def _event(index: int, **fields):
    def change(line):
        line["events"][index] = {**line["events"][index], **fields}
        return line

    return change


def _field(**fields):
    return lambda line: {**line, **fields}


def _created(at: str):
    def change(line):
        line["created_at"] = line["events"][0]["at"] = at
        return line

    return change


BAD = {
    "an e-mail given as a number": (
        _field(contact_email=12345),
        "contact_email: expected text, not a number",
    ),
    "a list for the subject": (_field(subject=["Printer"]), "subject: expected text, not a list"),
    "an object for the external id": (
        _field(external_id={"id": 7}),
        "external_id: expected text, not an object",
    ),
    "no opening time": (_field(created_at=None), "created_at: required (an ISO 8601 time"),
    "year 1": (_created("0001-01-01T00:00:00+01:00"), "created_at: 0001-01-01T00:00:00"),
    "year 9999": (_created("9999-12-31T23:59:59-05:00"), "is in the future"),
    "a source longer than the column": (
        _field(source="s" * 60),
        "source: at most 40 characters (60 given)",
    ),
    "a subject longer than the column": (
        _field(subject="s" * 301),
        "subject: at most 300 characters (301 given)",
    ),
    "a NUL in a body": (
        _event(0, body="paper\x00jam"),
        "events[0].body: contains a NUL character",
    ),
    "an unpaired surrogate in a body": (
        _event(0, body="paper\ud800jam"),
        "events[0].body: contains an unpaired surrogate",
    ),
    "a body given as an object": (
        _event(1, body={"text": "on it"}),
        "events[1].body: expected text, not an object",
    ),
    '"false" as text for needs_reply': (
        _event(2, needs_reply="false"),
        "events[2].needs_reply: expected true or false, not text",
    ),
    "a contact that is not an e-mail address": (
        _field(contact_email="not an email"),
        "contact_email: 'not an email' is not an e-mail address",
    ),
    "an event in the future": (
        _event(2, at=(NOW + timedelta(days=3)).isoformat()),
        "events[2].at: 2026-12-03T12:00:00+01:00 is in the future",
    ),
    "a misspelt field": (
        _event(2, needs_replay=True),
        "events[2].needs_replay: unknown field",
    ),
    "one message id twice": (
        lambda line: _event(1, external_id="m-1")(_event(0, external_id="m-1")(line)),
        "events[1].external_id: 'm-1' is already used by events[0]",
    ),
    "a status that does not exist": (
        lambda line: {
            **line,
            "events": [*line["events"], {"type": "status", "at": line["created_at"]}],
        },
        "events[3].status: required (one of",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_one_bad_line_among_500_imports_the_499_and_names_the_line_and_the_field(
    case, standard, now, tmp_path, capsys
):
    spoil, expected = BAD[case]
    lines = [history(n) for n in range(1, 501)]
    lines[BAD_LINE - 1] = spoil(lines[BAD_LINE - 1])
    with pytest.raises(SystemExit) as exit_code:
        call_command("import_threads", str(file_of(tmp_path, lines)))
    assert exit_code.value.code == 1
    out, err = capsys.readouterr()
    assert err.splitlines()[0].startswith(f"line {BAD_LINE}: ")
    assert expected in err.splitlines()[0], err
    assert len(err.splitlines()) == 1
    assert "499 threads imported, 0 already there, 1 lines rejected" in out
    assert Thread.objects.count() == 499
    assert not Thread.objects.filter(external_id=f"L-{BAD_LINE}").exists()


def test_every_bad_line_of_a_file_is_named_and_the_good_ones_imported(
    standard, now, tmp_path, capsys
):
    lines = [history(n) for n in range(1, 101)]
    spoilt = {}
    for number, (spoil, expected) in enumerate(BAD.values(), start=3):
        lines[number - 1] = spoil(lines[number - 1])
        spoilt[number] = expected
    with pytest.raises(SystemExit):
        call_command("import_threads", str(file_of(tmp_path, lines)))
    reported = capsys.readouterr().err.splitlines()
    assert [int(r.split(":")[0].removeprefix("line ")) for r in reported] == sorted(spoilt)
    for report, (number, expected) in zip(reported, sorted(spoilt.items()), strict=True):
        assert expected in report, (number, report)
    assert Thread.objects.count() == 100 - len(BAD)


def test_a_body_is_stored_as_written_and_false_means_no_reply_needed(standard, now, tmp_path):
    call_command("import_threads", str(file_of(tmp_path, [history(1)])))
    thanks = Message.objects.get(body="thanks")
    assert thanks.needs_reply is False
    assert list(Message.objects.values_list("body", flat=True)) == ["help", "on it", "thanks"]
    assert not SlaClock.objects.filter(metric="next_response").exists()


def test_no_contact_is_made_from_a_line_that_is_refused(standard, now, tmp_path):
    line = history(1, contact_email="new@example.com", subject={"not": "text"})
    with pytest.raises(SystemExit):
        call_command("import_threads", str(file_of(tmp_path, [line, history(2)])))
    assert not Contact.objects.filter(email="new@example.com").exists()
    assert Contact.objects.filter(email="customer2@example.com").exists()
