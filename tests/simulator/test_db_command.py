"""`pos-sim db` on a database a host filled: list, show, export, reset, their JSON, and every mistake
a technician can make (no --db, a wrong one, a damaged one, an unknown appointment, no --yes, a bad
data file) answered with a message and an exit code, never a traceback."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from protocol import CancelRequest, Reason, RequestReceived, Status
from simulator.cli import main
from simulator.data import SimulatorData, demo_data, load_data
from simulator.db_command import describe_load
from simulator.host import HostLogic
from simulator.store import HostStore
from tests.hil.sim_processes import POS_SIM
from tests.material import MERCHANT_ID, TID
from tests.simulated_host import FREE, WITH_FEE, data_around
from tests.simulator.vector_data import FIRST, SECOND, as_toml, vector_data

NOW = datetime(2026, 11, 27, 9, 30)
AT_NOW = ["--now", "2026-11-27T09:30:00"]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A host's database: FREE cancelled (R1), WITH_FEE refused for its fee (R2), an unknown
    appointment asked for (R3), FREE asked again by another request (R4)."""
    path = tmp_path / "host.db"
    with HostStore(path) as store:
        store.load(data_around(NOW))
        host = HostLogic(store, lambda: NOW)
        for appt_id, request_id in ((FREE, "R1"), (WITH_FEE, "R2"), ("NOPE", "R3"), (FREE, "R4")):
            request = CancelRequest(MERCHANT_ID, appt_id, request_id, Reason.OTHER, 0, "00", NOW)
            host.respond(RequestReceived(request, 1, TID))
    return path


def cancel_ref_of(db: Path, request_id: str) -> str:
    with HostStore(db, create=False) as store:
        cancellation = store.cancellation(TID, request_id)
    assert cancellation is not None and cancellation.cancel_ref
    return cancellation.cancel_ref


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(list(arguments))
    out, err = capsys.readouterr()
    return code, out, err


# -- list


def test_list_shows_every_appointment_with_what_cancelling_it_now_would_get(db: Path, capsys) -> None:
    code, out, err = run(capsys, "db", "--db", str(db), *AT_NOW, "list")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"Host database {db}, as of 2026-11-27 09:30:00",
        "Terminals (1): TEST0001 (merchant 898440358120001)",
        "Appointments (5), earliest first:",
        "  id       merchant         scheduled         service       status       cancelling now",
        "  A4WORK   898440358120001  2026-11-27 09:00  installation  in progress  no: in progress",
        "  A3LATE   898440358120001  2026-11-27 10:30  training      booked       no: too late since 2026-11-27 08:30",
        "  A2FEE    898440358120001  2026-11-27 21:30  repair        booked       ¥50.00 until 2026-11-27 19:30",
        "  X9OTHER  123456789012345  2026-11-28 15:30  installation  booked       free until 2026-11-27 15:30",
        "  A1FREE   898440358120001  2026-11-29 09:30  installation  cancelled    no: already cancelled",
    ]


def test_list_judges_fees_at_the_time_given(db: Path, capsys) -> None:
    code, out, _ = run(capsys, "db", "--db", str(db), "--now", "2026-11-27T16:00:00", "list")
    assert code == 0
    assert "  X9OTHER  123456789012345  2026-11-28 15:30  installation  booked       ¥50.00 until 2026-11-28 13:30" in out


def test_list_as_json_after_the_command_never_shows_a_key(db: Path, capsys) -> None:
    code, out, _ = run(capsys, "db", "list", "--db", str(db), "--json", *AT_NOW)
    listed = json.loads(out)
    assert code == 0 and listed["ok"] is True and listed["now"] == "2026-11-27T09:30:00"
    assert listed["terminals"] == [{"tid": TID, "merchant_id": MERCHANT_ID}]
    by_id = {a["appt_id"]: a for a in listed["appointments"]}
    assert (by_id["A2FEE"]["fee_now"], by_id["A2FEE"]["refused_now"]) == (5000, None)
    assert (by_id["A3LATE"]["fee_now"], by_id["A3LATE"]["refused_now"]) == (None, "TOO_LATE")
    assert (by_id["A1FREE"]["status"], by_id["A1FREE"]["refused_now"]) == ("CANCELLED", "ALREADY_CANCELLED")
    assert by_id["X9OTHER"]["fee_now"] == 0
    assert "key" not in out


# -- show


def test_show_gives_the_appointment_its_cancellation_and_every_request_that_named_it(db: Path, capsys) -> None:
    cancel_ref = cancel_ref_of(db, "R1")
    code, out, _ = run(capsys, "db", "--db", str(db), *AT_NOW, "show", FREE)
    assert code == 0
    assert out.splitlines() == [
        "Appointment A1FREE, as of 2026-11-27 09:30:00",
        "  merchant        898440358120001",
        "  scheduled       2026-11-29 09:30",
        "  service         installation",
        "  status          cancelled",
        "  address         成都市武侯区天府大道100号",
        "  late fee        ¥50.00",
        "  free until      2026-11-28 09:30",
        "  cancel until    2026-11-29 07:30",
        "  cancelling now  no: already cancelled",
        f"Cancelled at 2026-11-27 09:30:00 by TEST0001 (request R1, reason other): cancel ref {cancel_ref}, free",
        "Cancel requests naming it (2, in the order decided):",
        "  time                 terminal  request id  reason  result             fee   cancel ref",
        f"  2026-11-27 09:30:00  TEST0001  R1          other   cancelled          free  {cancel_ref}",
        "  2026-11-27 09:30:00  TEST0001  R4          other   already cancelled",
    ]


def test_show_as_json(db: Path, capsys) -> None:
    code, out, _ = run(capsys, "db", "--db", str(db), "--json", *AT_NOW, "show", WITH_FEE)
    shown = json.loads(out)
    assert code == 0 and shown["ok"] is True
    assert shown["appointment"]["appt_id"] == WITH_FEE and shown["appointment"]["fee_now"] == 5000
    assert shown["cancellations"] == []
    [request] = shown["requests"]
    assert (request["request_id"], request["tid"], request["result"], request["fee"]) == ("R2", TID, "FEE_CHANGED", 5000)
    assert request["decided_at"] == "2026-11-27T09:30:00"


def test_show_an_id_only_requests_named_lists_those_requests(db: Path, capsys) -> None:
    code, out, _ = run(capsys, "db", "--db", str(db), *AT_NOW, "show", "NOPE")
    assert code == 0
    assert out.splitlines()[0] == f"NOPE: no such appointment in {db}, but requests named it"
    assert "  2026-11-27 09:30:00  TEST0001  R3          other   not found" in out.splitlines()


def test_show_an_unknown_appointment_fails_and_says_how_to_list_them(db: Path, capsys) -> None:
    code, out, err = run(capsys, "db", "--db", str(db), "show", "A404")
    assert (code, out) == (1, "")
    assert err == (
        f"pos-sim db: {db} holds no appointment 'A404', and no request named it; "
        f"`pos-sim db --db {db} list` lists the appointments it holds\n"
    )
    code, out, _ = run(capsys, "db", "--db", str(db), "show", "A404", "--json")
    failure = json.loads(out)
    assert code == 1 and (failure["ok"], failure["error"]) == (False, "no-such-appointment")


# -- export


def test_export_is_a_data_file_that_loads_as_what_the_database_holds(db: Path, tmp_path: Path, capsys) -> None:
    code, out, _ = run(capsys, "db", "--db", str(db), *AT_NOW, "export")
    assert code == 0
    assert out.startswith(
        f"# Simulator data (docs/host-data.md), exported from the host database {db} at 2026-11-27 09:30:00.\n"
    )
    assert "# Not here: the 4 answered cancel requests the database holds (a data file holds none)" in out
    exported = tmp_path / "exported.toml"
    exported.write_text(out, encoding="utf-8")
    loaded = load_data(exported)
    with HostStore(db, create=False) as store:
        assert list(loaded.terminals) == store.terminals() and list(loaded.appointments) == store.appointments()
        assert [t.key for t in loaded.terminals] == [t.key for t in store.terminals()]
    assert {a.appt_id: a.status for a in loaded.appointments}[FREE] is Status.CANCELLED


def test_export_demo_needs_no_database_and_loads_as_the_demo(tmp_path: Path, capsys) -> None:
    code, out, _ = run(capsys, "db", "export", "--demo", *AT_NOW)
    assert code == 0 and out.startswith("# The built-in demo data (docs/host-data.md, section 5), placed around")
    exported = tmp_path / "demo.toml"
    exported.write_text(out, encoding="utf-8")
    demo = demo_data(NOW)
    loaded = load_data(exported)
    assert (loaded.terminals, loaded.appointments) == (demo.terminals, demo.appointments)


def test_export_as_json_carries_the_file(db: Path, capsys) -> None:
    code, out, _ = run(capsys, "db", "--db", str(db), "--json", *AT_NOW, "export")
    exported = json.loads(out)
    assert code == 0 and (exported["terminals"], exported["appointments"]) == (1, 5)
    assert exported["cancellations_not_exported"] == 4 and "[[appointment]]" in exported["toml"]


def test_export_demo_refuses_a_database(db: Path, capsys) -> None:
    code, _, err = run(capsys, "db", "--db", str(db), "export", "--demo")
    assert code == 2 and "export --demo writes the built-in demo data, not a database's: leave out --db or --demo" in err


# -- reset


def test_reset_without_yes_says_what_would_be_lost_and_changes_nothing(db: Path, tmp_path: Path, capsys) -> None:
    data_file = tmp_path / "host.toml"
    data_file.write_text(as_toml(vector_data()), encoding="utf-8")
    cancel_ref = cancel_ref_of(db, "R1")
    code, out, err = run(capsys, "db", "--db", str(db), "reset", "--data", str(data_file))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"pos-sim db: reset would make {db} hold {data_file} alone (1 terminal, 2 appointments), and lose:",
        f"  4 answered cancel requests, 1 of them a cancellation (cancel ref {cancel_ref}): a terminal that asks the "
        "host about one (STATUS_REQ) gets UNKNOWN_REQUEST",
        "  5 appointments not in the data: A4WORK, A3LATE, A2FEE, X9OTHER, A1FREE",
        "Nothing was changed: add --yes to reset it.",
    ]
    with HostStore(db, create=False) as store:
        assert len(store.cancellations()) == 4 and len(store.appointments()) == 5


def test_reset_with_yes_holds_the_data_alone(db: Path, tmp_path: Path, capsys) -> None:
    data_file = tmp_path / "host.toml"
    data_file.write_text(as_toml(vector_data()), encoding="utf-8")
    code, out, _ = run(capsys, "db", "--db", str(db), "reset", "--data", str(data_file), "--yes", "--json")
    reset = json.loads(out)
    assert code == 0 and reset["holds"] == {"terminals": 1, "appointments": 2}
    assert reset["lost"]["requests"] == 4 and reset["lost"]["appointments"] == [
        "A4WORK", "A3LATE", "A2FEE", "X9OTHER", "A1FREE"
    ]
    with HostStore(db, create=False) as store:
        assert store.cancellations() == [] and store.appointments() == [FIRST, SECOND]


def test_reset_without_data_goes_back_to_the_demo_placed_around_now(db: Path, capsys) -> None:
    code, out, _ = run(capsys, "db", "--db", str(db), *AT_NOW, "reset", "--yes")
    assert code == 0 and out.startswith(f"{db} now holds built-in demo data around 2026-11-27T09:30:00 alone")
    with HostStore(db, create=False) as store:
        assert store.appointments() == sorted(demo_data(NOW).appointments, key=lambda a: (a.scheduled_at, a.appt_id))


def test_reset_to_the_data_the_host_serves_names_the_cancellations_it_undoes(tmp_path: Path, capsys) -> None:
    db = tmp_path / "host.db"
    data_file = tmp_path / "around.toml"
    data_file.write_text(as_toml(data_around(NOW)), encoding="utf-8")
    with HostStore(db) as store:
        store.load(load_data(data_file))
        request = CancelRequest(MERCHANT_ID, FREE, "R1", Reason.OTHER, 0, "00", NOW)
        HostLogic(store, lambda: NOW).respond(RequestReceived(request, 1, TID))
    code, _, err = run(capsys, "db", "--db", str(db), "reset", "--data", str(data_file))
    assert code == 2
    assert "  1 appointment the host cancelled, back to the data's status: A1FREE" in err.splitlines()
    code, out, _ = run(capsys, "db", "--db", str(db), "--json", "reset", "--data", str(data_file), "--yes")
    assert code == 0 and json.loads(out)["lost"]["status_reverted"] == [FREE]
    with HostStore(db, create=False) as store:
        assert store.appointment(FREE).status is Status.BOOKED


def test_reset_to_a_bad_data_file_says_what_is_wrong_and_changes_nothing(db: Path, tmp_path: Path, capsys) -> None:
    data_file = tmp_path / "bad.toml"
    data_file.write_text(as_toml(vector_data()).replace("service = 2", "service = 9"), encoding="utf-8")
    code, _, err = run(capsys, "db", "--db", str(db), "reset", "--data", str(data_file), "--yes")
    assert code == 2
    assert err.startswith(f"pos-sim db: {data_file}: appointment[2] (id A20261130007, line 17): 'service' 9 is not")
    with HostStore(db, create=False) as store:
        assert len(store.cancellations()) == 4


# -- the database itself


@pytest.mark.parametrize("command", [["list"], ["show", FREE], ["export"], ["reset", "--yes"]])
def test_every_command_refuses_a_missing_database_without_making_one(command, tmp_path: Path, capsys) -> None:
    missing = tmp_path / "typo.db"
    code, out, err = run(capsys, "db", "--db", str(missing), *command)
    assert (code, out) == (2, "")
    assert err == f"pos-sim db: {missing}: no such database; pass the --db file the host was started with\n"
    assert not missing.exists()


@pytest.mark.parametrize("command", [["list"], ["show", FREE], ["reset"]])
def test_every_command_asks_for_the_database(command, capsys) -> None:
    code, _, err = run(capsys, "db", *command)
    assert code == 2
    assert err == f"pos-sim db: {command[0]} needs --db FILE: the database that `pos-sim host --db FILE` keeps\n"


def test_a_file_that_is_not_a_host_database_is_refused(tmp_path: Path, capsys) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n" * 400)
    code, out, _ = run(capsys, "db", "--db", str(notes), "--json", "list")
    failure = json.loads(out)
    assert code == 2 and failure["error"] == "database"
    assert failure["message"].startswith(f"{notes}: not a host simulator database (file is not a database)")


def test_a_database_that_cannot_be_opened_is_refused_with_what_to_check(tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "db", "--db", str(tmp_path), "list")  # a folder, as a mistyped path may be
    assert code == 2
    assert err.startswith(f"pos-sim db: {tmp_path}: cannot open the database (")
    assert err.endswith("); check the path and its permissions\n")


def test_a_damaged_database_is_refused_with_what_to_do(db: Path, capsys) -> None:
    with sqlite3.connect(db) as other:
        other.execute("UPDATE cancellation SET result = 99 WHERE request_id = 'R2'")
    other.close()
    code, out, err = run(capsys, "db", "--db", str(db), "show", WITH_FEE)
    assert (code, out) == (2, "")
    assert err.startswith(f"pos-sim db: {db}: a row of its cancellation table is damaged (")
    assert err.endswith("restore a copy, or start the host on a new --db file\n")


def test_a_bad_time_is_a_usage_error(capsys) -> None:
    code, _, err = run(capsys, "db", "--now", "tomorrow", "list")
    assert code == 2 and "'tomorrow' is not a local time; write YYYY-MM-DDTHH:MM:SS" in err


# -- what a host's start loaded


def test_a_start_says_what_the_data_added_and_what_else_the_database_holds(tmp_path: Path) -> None:
    with HostStore(tmp_path / "host.db") as store:
        store.load(data_around(NOW))
        HostLogic(store, lambda: NOW).respond(
            RequestReceived(CancelRequest(MERCHANT_ID, FREE, "R1", Reason.OTHER, 0, "00", NOW), 1, TID)
        )
        demo = demo_data(NOW)
        first = describe_load(store.load(demo), demo, "host.db")
        around = data_around(NOW)
        second = describe_load(store.load(around), around, "host.db")
    assert first == (
        "loaded built-in demo data around 2026-11-27T09:30:00 into db host.db: 1 terminal (0 new), "
        "6 appointments (6 new); the db also holds 5 appointments not in this data, served as before "
        "(`pos-sim db --db host.db reset --data FILE` keeps only a file's)"
    )
    assert second.endswith("; 1 appointment the host cancelled stays cancelled: A1FREE")


@pytest.mark.parametrize("command", [["db", "--db", "{db}", "list"], ["report", "--db", "{db}"]], ids=["db list", "report"])
def test_a_reader_that_goes_away_gets_no_traceback(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "big.db"
    many = tuple(replace(FIRST, appt_id=f"A{n:05d}") for n in range(3000))  # far more than a pipe holds
    with HostStore(path) as store:
        store.load(SimulatorData(vector_data().terminals, many, "many appointments"))
        host = HostLogic(store, lambda: NOW)
        for n, appointment in enumerate(many):  # and as many requests for the report to list
            request = CancelRequest(MERCHANT_ID, appointment.appt_id, f"R{n}", Reason.WILL_REBOOK, 0, "00", NOW)
            host.respond(RequestReceived(request, 1, TID))
    process = subprocess.Popen([POS_SIM, *(part.format(db=path) for part in command)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline()
    process.stdout.close()  # as `| head -1` does
    assert process.wait(60) == 141
    assert process.stderr is not None and process.stderr.read() == ""
