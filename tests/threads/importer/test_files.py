"""What the file itself holds: bytes that are not UTF-8 anywhere in it, a byte-order mark, Windows
line ends, blank lines, a file that cannot be read; and the exit codes the README documents
(0 all imported or already there, 1 some lines rejected, 2 the file cannot be read)."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.threads.importer.conftest import file_of, history
from threads.models import Thread

pytestmark = [pytest.mark.django_db, pytest.mark.both]


def test_a_bad_byte_far_into_the_file_rejects_only_its_line(standard, now, tmp_path, capsys):
    lines = [history(n) for n in range(1, 301)]
    lines[249] = json.dumps(lines[249]).encode().replace(b"help", b"h\xe9lp")  # Latin-1 é
    path = file_of(tmp_path, lines)
    assert path.stat().st_size > 8192 * 4
    with pytest.raises(SystemExit) as exit_code:
        call_command("import_threads", str(path))
    assert exit_code.value.code == 1
    out, err = capsys.readouterr()
    assert err.strip().startswith("line 250: not valid UTF-8 (byte 0xe9 at byte ")
    assert "299 threads imported" in out
    assert Thread.objects.count() == 299


def test_a_byte_order_mark_windows_line_ends_and_blank_lines_are_fine(
    standard, now, tmp_path, capsys
):
    path = tmp_path / "export.jsonl"
    rows = [json.dumps(history(n)) for n in (1, 2)]
    path.write_bytes(b"\xef\xbb\xbf" + f"{rows[0]}\r\n\r\n{rows[1]}\r\n".encode())
    call_command("import_threads", str(path))
    assert (
        "2 threads imported, 0 already there, 0 lines rejected (3 lines" in capsys.readouterr().out
    )


def test_a_rerun_exits_0_with_everything_already_there(standard, now, tmp_path, capsys):
    path = file_of(tmp_path, [history(n) for n in range(1, 4)])
    call_command("import_threads", str(path))
    call_command("import_threads", str(path))  # no SystemExit: exit code 0
    assert "0 threads imported, 3 already there, 0 lines rejected" in capsys.readouterr().out


def test_the_same_thread_twice_in_one_file_is_imported_once(standard, now, tmp_path, capsys):
    call_command("import_threads", str(file_of(tmp_path, [history(1), history(1)])))
    assert "1 threads imported, 1 already there" in capsys.readouterr().out
    assert Thread.objects.count() == 1


@pytest.mark.parametrize("name", ["missing.jsonl", "."])
def test_a_file_that_cannot_be_read_exits_2_in_one_line(name, tmp_path):
    with pytest.raises(CommandError, match="cannot read") as error:
        call_command("import_threads", str(tmp_path / name))
    assert error.value.returncode == 2


def test_a_batch_size_below_one_is_refused(tmp_path):
    with pytest.raises(CommandError, match="expected a whole number of at least 1"):
        call_command("import_threads", str(file_of(tmp_path, [])), "--batch-size", "0")


def test_workers_below_one_are_refused(tmp_path):
    with pytest.raises(CommandError, match="expected a whole number of at least 1"):
        call_command("import_threads", str(file_of(tmp_path, [])), "--workers", "0")


def test_workers_asked_for_where_they_cannot_share_the_file_import_in_one_process(
    standard, now, tmp_path, capsys
):
    # Inside a test's transaction (and on SQLite) the workers could not see what it holds.
    path = file_of(tmp_path, [history(n) for n in range(1, 31)])
    call_command("import_threads", str(path), "--workers", "2")
    assert "30 threads imported" in capsys.readouterr().out
    assert Thread.objects.count() == 30


def test_lines_that_are_not_json_are_named(standard, now, tmp_path, capsys):
    lines = ["{not json", "[" * 100_000, "1" * 5000, '"a string"', "{}", history(1)]
    with pytest.raises(SystemExit):
        call_command("import_threads", str(file_of(tmp_path, lines)))
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("line 1: not valid JSON (")
    assert err[1] == "line 2: not valid JSON (nested too deeply)"
    assert err[2].startswith("line 3: not valid JSON (")
    assert err[3] == "line 4: each line must be a JSON object"
    assert err[4] == "line 5: external_id: required"
    assert Thread.objects.count() == 1


def test_a_file_that_fails_midway_keeps_what_was_read_and_exits_2(
    standard, now, tmp_path, monkeypatch, capsys
):
    from threads.management.commands import import_threads

    def failing(path):
        yield from (json.dumps(history(n)) for n in range(1, 4))
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(import_threads, "read_lines", failing)
    with pytest.raises(CommandError, match="cannot read .* after line 3: ") as error:
        call_command("import_threads", str(file_of(tmp_path, [])))
    assert error.value.returncode == 2
    assert "3 threads imported" in capsys.readouterr().out
    assert Thread.objects.count() == 3
