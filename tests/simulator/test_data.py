"""The simulator data file: read as written, refused with a message that says where and how to mend it;
and the built-in demo data."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from protocol import CancelRequest, ListRequest, Reason, RequestReceived, Result, Service, Status
from simulator.data import DEMO_KEY, DataError, demo_data, load_data
from simulator.host import HostLogic
from simulator.store import HostStore
from tests.material import KEY, MERCHANT_ID, TID
from tests.simulator.vector_data import as_toml, vector_data

TERMINAL = f'[[terminal]]\ntid = "{TID}"\nmerchant_id = "{MERCHANT_ID}"\nkey = "{KEY.hex()}"\n'
APPOINTMENT = """
[[appointment]]
id = "A20261128001"
merchant_id = "898440358120001"
scheduled_at = "2026-11-28T10:00:00"
service = 1
status = 1
address = "成都市武侯区天府大道100号"
late_fee = 5000
free_until = "2026-11-27T10:00:00"
cancel_until = "2026-11-28T08:00:00"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "host.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_written_data_file_reads_back_as_the_data(tmp_path: Path) -> None:
    data = vector_data()
    loaded = load_data(write(tmp_path, as_toml(data)))
    assert (loaded.terminals, loaded.appointments) == (data.terminals, data.appointments)
    assert loaded.source == str(tmp_path / "host.toml")


def test_unquoted_toml_local_times_are_accepted(tmp_path: Path) -> None:
    text = TERMINAL + APPOINTMENT.replace('"2026-11-28T10:00:00"', "2026-11-28T10:00:00")
    [appointment] = load_data(write(tmp_path, text)).appointments
    assert appointment.scheduled_at == datetime(2026, 11, 28, 10, 0)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ('[[terminal]]\ntid = "TEST0001\n', "not valid TOML: Illegal character '\\n' (at line 2, column 16)"),
        (
            TERMINAL + APPOINTMENT.replace("late_fee = 5000\n", ""),
            "appointment[1] (id A20261128001, line 6): key 'late_fee' is missing; the keys of this entry are id,",
        ),
        (
            TERMINAL + APPOINTMENT.replace('"2026-11-28T10:00:00"', '"28/11/2026 10:00"'),
            "appointment[1] (id A20261128001, line 6): 'scheduled_at' '28/11/2026 10:00' is not a local time; "
            'write YYYY-MM-DDTHH:MM:SS, e.g. "2026-11-28T10:00:00"',
        ),
        (
            TERMINAL + APPOINTMENT.replace("service = 1", "service = 7"),
            "'service' 7 is not a service; write one of the numbers 1 installation, 2 repair, 3 training, "
            "4 replacement, 5 removal",
        ),
        (
            TERMINAL + APPOINTMENT.replace("late_fee = 5000", 'late_fee = "50.00"'),
            "'late_fee' '50.00' is not a fee; write a whole number of fen from 0 to 4294967295, e.g. 5000 for ¥50.00",
        ),
        (
            TERMINAL + APPOINTMENT.replace("late_fee", "fee"),
            "appointment[1] (id A20261128001, line 6): unknown key 'fee'; the keys of this entry are",
        ),
        (
            TERMINAL + APPOINTMENT + APPOINTMENT,
            "appointment[2] (id A20261128001, line 17): id 'A20261128001' is already used by an earlier "
            "[[appointment]]; give each appointment its own id",
        ),
        (
            TERMINAL + APPOINTMENT.replace('free_until = "2026-11-27T10:00:00"', 'free_until = "2026-11-28T09:00:00"'),
            "'free_until' (2026-11-28T09:00:00) is after 'cancel_until' (2026-11-28T08:00:00)",
        ),
        (
            TERMINAL.replace(MERCHANT_ID, "8984403581"),
            "terminal[1] (tid TEST0001, line 1): 'merchant_id' '8984403581' is not a merchant number; "
            'write exactly 15 characters, e.g. "898440358120001"',
        ),
        (
            TERMINAL.replace('tid = "TEST0001"', "tid = 1"),
            "terminal[1] (line 1): 'tid' must be text in double quotes, not the number 1",
        ),
        (APPOINTMENT, "no [[terminal]] entry: the host would refuse every request as UNKNOWN_TERMINAL; add one"),
        (TERMINAL + "[merchant]\nname = 'x'\n", "unknown table 'merchant'; a data file holds only [[terminal]] and"),
    ],
    ids=[
        "toml syntax", "missing key", "bad time", "bad service", "bad fee", "unknown key", "repeated id",
        "free after cancel", "short merchant", "tid not text", "no terminal", "unknown table",
    ],
)
def test_malformed_files_are_refused_naming_the_file_entry_key_and_the_fix(
    tmp_path: Path, text: str, complaint: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DataError) as refused:
        load_data(path)
    assert str(refused.value).startswith(f"{path}: ")
    assert complaint in str(refused.value)


def test_a_bad_key_is_described_but_never_echoed(tmp_path: Path) -> None:
    secret = KEY.hex()[:62] + "zz"
    with pytest.raises(DataError) as refused:
        load_data(write(tmp_path, TERMINAL.replace(KEY.hex(), secret)))
    assert "'key' must be 64 hex digits (32 bytes), got 64 characters with some that are not hex digits" in str(refused.value)
    assert secret not in str(refused.value) and secret[:16] not in str(refused.value)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="nothere.toml: no such file; pass the path of a simulator data file"):
        load_data(tmp_path / "nothere.toml")


def test_keys_never_show_in_a_repr(tmp_path: Path) -> None:
    data = load_data(write(tmp_path, TERMINAL))
    assert KEY.hex() not in repr(data) and repr(KEY) not in repr(data)
    assert DEMO_KEY.hex() not in repr(demo_data(datetime(2026, 11, 27, 9, 30)))


@pytest.mark.parametrize("now", [datetime(2026, 11, 27, 9, 30), datetime(2026, 12, 31, 23, 59, 59), datetime(2027, 1, 1, 0, 0)])
def test_demo_data_always_shows_free_fee_too_late_in_progress_and_later(now: datetime, tmp_path: Path) -> None:
    data = demo_data(now)
    [terminal] = data.terminals
    assert (terminal.tid, terminal.merchant_id, terminal.key) == (TID, MERCHANT_ID, KEY)
    assert len({a.service for a in data.appointments}) == len(Service)
    assert any(a.address.isascii() for a in data.appointments)
    assert any(not a.address.isascii() for a in data.appointments)
    # What each appointment shows is for the host's rules to say: cancel each, accepting no fee.
    with HostStore(tmp_path / "demo.db") as store:
        store.load(data)
        host = HostLogic(store, lambda: now)
        listed = host.respond(RequestReceived(ListRequest(MERCHANT_ID, 0), 1, TID)).appointments
        outcomes = {
            a.appt_id: host.respond(
                RequestReceived(CancelRequest(MERCHANT_ID, a.appt_id, f"R-{a.appt_id}", Reason.OTHER, 0, "00", now), 2, TID)
            ).result
            for a in listed
        }
    assert sorted(outcomes.values()) == sorted(
        [Result.OK, Result.OK, Result.TOO_LATE, Result.TOO_LATE, Result.FEE_CHANGED]
    )
    shown = {a.appt_id: a for a in listed}
    [in_progress] = [a for a in listed if a.status is Status.IN_PROGRESS]
    assert outcomes[in_progress.appt_id] is Result.TOO_LATE
    [free_tomorrow, later_this_week] = sorted((a for a in listed if outcomes[a.appt_id] is Result.OK), key=lambda a: a.scheduled_at)
    assert now < free_tomorrow.free_until <= now + timedelta(days=2) and free_tomorrow.fee == 0
    assert later_this_week.scheduled_at > now + timedelta(days=3)
    [with_fee] = [a for a in listed if outcomes[a.appt_id] is Result.FEE_CHANGED]
    assert shown[with_fee.appt_id].fee == 5000
