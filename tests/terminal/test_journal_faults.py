"""Journal faults a terminal meets in the field, each reported one way: a message that names the
file, the cause and a remedy that loses nothing; the file is left where and as it was."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from terminal.journal import Journal, JournalError, JournalInUseError, journal_fault
from tests.simulated_host import DATA
from tests.terminal.test_cli import write_config
from tests.terminal.test_journal import record

POS_TERMINAL = str(Path(sys.executable).parent / "pos-terminal")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def history(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([POS_TERMINAL, "--config", str(config), "--json", "history"],
                          capture_output=True, text=True, timeout=60)


def assert_refused_in_json(result: subprocess.CompletedProcess, *words: str) -> dict:
    import json

    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    document = json.loads(result.stdout)
    assert (document["ok"], document["error"]) == (False, "journal")
    for word in words:
        assert word in document["message"], document["message"]
    return document


def test_the_journal_and_its_sqlite_files_are_the_owners_alone(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal.open(path) as journal:
        record(journal, "A1")
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(part.exists() for part in files)
        assert {part.name: stat.S_IMODE(part.stat().st_mode) & 0o077 for part in files} == {
            part.name: 0 for part in files
        }


def test_a_journal_an_earlier_release_made_0644_is_made_the_owners_alone(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    Journal.open(path).close()
    path.chmod(0o644)
    Journal.open(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_host_database_holding_terminal_keys_is_the_owners_alone(tmp_path: Path) -> None:
    from simulator.store import HostStore

    path = tmp_path / "host.db"
    with HostStore(path) as store:
        store.load(DATA)
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(part.exists() for part in files)
        assert [stat.S_IMODE(part.stat().st_mode) & 0o077 for part in files] == [0, 0, 0]


def test_a_second_process_on_the_journal_is_refused_with_who_holds_it(tmp_path: Path) -> None:
    config = write_config(tmp_path, "/dev/null-port")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from terminal.journal import Journal; j = Journal.open(sys.argv[1]); "
         "print('open', flush=True); sys.stdin.read()", str(tmp_path / "journal.sqlite")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline() == "open\n"
        with pytest.raises(JournalInUseError, match=f"pid {holder.pid}"):
            Journal.open(tmp_path / "journal.sqlite")
        assert_refused_in_json(history(config), "in use by another pos-terminal process", f"pid {holder.pid}")
    finally:
        holder.communicate("", timeout=30)
    # Once the first process is gone, the journal opens as usual.
    assert history(config).returncode == 0


def test_one_process_may_hold_the_journal_through_several_objects(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal.open(path) as ui, Journal.open(path) as worker:
        record(ui, "A1")
        assert worker.get(ui.history()[0].request_id) is not None


def test_an_empty_journal_file_is_refused_not_started_anew(tmp_path: Path) -> None:
    config = write_config(tmp_path, "/dev/null-port")
    (tmp_path / "journal.sqlite").touch()
    assert_refused_in_json(history(config), "journal.sqlite", "empty (0 bytes)", "restore the journal")
    assert (tmp_path / "journal.sqlite").stat().st_size == 0


def test_a_damaged_record_is_named_and_the_file_kept(tmp_path: Path) -> None:
    config = write_config(tmp_path, "/dev/null-port")
    path = tmp_path / "journal.sqlite"
    with Journal.open(path) as journal:
        damaged = record(journal, "A1").request_id
    with sqlite3.connect(path) as db:
        db.execute("UPDATE attempt SET reason = 77, created_at = 'yesterday'")
    db.close()
    before = digest(path)
    document = assert_refused_in_json(history(config), str(path), damaged, "damaged", "Keep the file")
    assert "move" not in document["message"].lower()
    assert digest(path) == before


def test_a_damaged_page_is_diagnosed_as_damage_and_the_file_kept(tmp_path: Path) -> None:
    config = write_config(tmp_path, "/dev/null-port")
    path = tmp_path / "journal.sqlite"
    with Journal.open(path) as journal:
        for n in range(3):
            record(journal, f"A{n}")
    raw = bytearray(path.read_bytes())
    page = 4096
    assert len(raw) >= 3 * page
    raw[page + 8:2 * page] = b"\xff" * (page - 8)  # a b-tree page (attempts or counters) ruined
    path.write_bytes(bytes(raw))
    before = digest(path)
    result = history(config)
    document = assert_refused_in_json(result, str(path), "damaged", "Keep the file")
    assert "move" not in document["message"].lower()
    assert digest(path) == before


@pytest.mark.parametrize(("complaint", "cause", "remedy"), [
    ("attempt to write a readonly database", "not writable", "writable for this user"),
    ("unable to open database file", "not writable", "writable for this user"),
    ("database is locked", "another program holds it", "Close the other program"),
    ("database or disk is full", "disk is full", "Free space"),
    ("disk I/O error", "did not take a read or write", "Check that the disk or card is in place"),
    ("database disk image is malformed", "damaged", "Keep the file"),
    ("file is not a database", "not a terminal journal", "journal's own file"),
])
def test_each_sqlite_complaint_gets_its_cause_and_a_remedy_that_loses_nothing(complaint, cause, remedy) -> None:
    message = str(journal_fault(Path("/data/journal.sqlite"), "write to the journal", sqlite3.OperationalError(complaint)))
    assert message.startswith("/data/journal.sqlite: cannot write to the journal: ")
    assert cause in message and remedy in message
    assert not any(word in message.lower() for word in ("move the file", "delete", "rm "))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_diagnosed_as_such(tmp_path: Path) -> None:
    config = write_config(tmp_path, "/dev/null-port")
    Journal.open(tmp_path / "journal.sqlite").close()
    tmp_path.chmod(0o500)
    try:
        assert_refused_in_json(history(config), "not writable")
    finally:
        tmp_path.chmod(0o700)


def test_an_os_error_is_judged_by_its_code_not_by_the_words_in_the_file_name() -> None:
    denied = PermissionError(13, "Permission denied", "/srv/pos-fullservice-locked/journal.sqlite.lock")
    message = str(journal_fault(Path("/srv/pos-fullservice-locked/journal.sqlite"), "open the journal", denied))
    assert "not writable" in message and "disk is full" not in message and "another program" not in message


def test_a_lock_file_that_cannot_be_written_is_a_journal_fault_and_leaves_no_hold(tmp_path: Path) -> None:
    code = (
        "import resource, sys\n"
        "from terminal.journal import Journal, JournalError, JournalInUseError\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))\n"
        "for attempt in (1, 2):\n"
        "    try:\n"
        "        Journal.open(sys.argv[1])\n"
        "    except JournalInUseError as exc:\n"
        "        print('in use', exc)\n"
        "    except JournalError as exc:\n"
        "        print('fault', exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "journal.sqlite")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["fault", "fault"], lines  # never "in use" by itself
    assert "disk is full or the file may not grow" in lines[0]


def test_closing_a_journal_twice_keeps_the_other_objects_hold(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    first, second = Journal.open(path), Journal.open(path)
    first.close()
    first.close()
    other_process = subprocess.run(
        [sys.executable, "-c", "import sys; from terminal.journal import Journal; Journal.open(sys.argv[1])", str(path)],
        capture_output=True, text=True, timeout=60,
    )
    assert "JournalInUseError" in other_process.stderr  # still held by `second`
    second.close()


@pytest.mark.parametrize("damage", ["fee_accepted = 'lots'", "created_at = 'not a time'", "send_count = 'x'", "reason = 'x'"])
def test_a_cell_of_the_wrong_kind_is_a_damaged_record(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal.open(path) as journal:
        damaged = record(journal, "A1").request_id
    with sqlite3.connect(path) as db:
        db.execute(f"UPDATE attempt SET {damage}")
    db.close()
    with Journal.open(path) as journal, pytest.raises(JournalError, match=f"{damaged}.*is damaged"):
        journal.history()
