"""bench/soak.py as a test: a short soak of the real client, host and cable processes must find no
invariant violation, and must find them when the client is deliberately broken."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from protocol import CancelRequest, Reason
from protocol.frame import encode_message_frame
from terminal.journal import Journal

REPO = Path(__file__).resolve().parents[2]
SOAK = REPO / "bench" / "soak.py"
TID = "SOAK0001"
MERCHANT = "898440358120001"


def soak(*args: str, timeout: float = 110) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SOAK), "--lanes", "2", "--slots", "3", "--report-every", "0", *args],
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, cwd=REPO,
    )


def test_a_short_soak_finds_no_violation() -> None:
    run = soak("--sessions", "24", "--seed", "7")
    report = run.stdout + run.stderr
    assert "sessions run: 24 of 24" in run.stdout, report
    assert "invariant violations: 0" in run.stdout, report
    assert "calls over bound: 0 of" in run.stdout, report
    assert run.returncode == 0, report


def test_the_soak_reports_a_client_that_gives_up_on_unknown_outcomes() -> None:
    # A client that takes every unknown outcome for "not cancelled" leaves host cancellations
    # without a voucher (invariant 2): the soak must say so, with the seeds, and exit non-zero.
    run = soak("--sessions", "24", "--seed", "2", "--sabotage", "give-up")
    report = run.stdout + run.stderr
    assert run.returncode == 1, report
    assert "host cancellation without voucher" in run.stdout, report
    assert "(replay: python bench/soak.py --replay " in run.stdout, report


def _load_worker_module():
    spec = importlib.util.spec_from_file_location("soak_terminal", REPO / "bench" / "soak_terminal.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_tap_flags_a_new_request_id_while_one_is_unknown_and_a_request_never_journaled(tmp_path: Path) -> None:
    # The worker's tap is the soak's witness for invariant 1 on the wire; a client cannot be made
    # to break it through its own API (the journal refuses), so a broken one is simulated here by
    # writing the second attempt behind the journal's back.
    tap_module = _load_worker_module()
    journal_path = tmp_path / "journal.sqlite"
    journal = Journal(journal_path)
    when = datetime(2026, 11, 27, 9, 30)
    first = journal.record_attempt(
        appt_id="A1", merchant_id=MERCHANT, tid=TID, operator_id="01", reason=Reason.WILL_REBOOK,
        fee_accepted=0, created_at=when, scheduled_at=None, service=None, address=None, sending=True,
    )
    journal.mark_unknown(first.request_id)
    with sqlite3.connect(journal_path) as db:
        db.execute(
            "INSERT INTO attempt (request_id, appt_id, merchant_id, tid, operator_id, reason, fee_accepted, "
            "created_at, state, send_count) VALUES (?, 'A1', ?, ?, '01', 2, 0, ?, 'pending', 1)",
            (f"{TID}00000099", MERCHANT, TID, when.isoformat()),
        )
    log = tmp_path / "tap.jsonl"
    tap = tap_module.Tap(journal_path, log)

    def request(request_id: str) -> bytes:
        message = CancelRequest(
            merchant_id=MERCHANT, appt_id="A1", request_id=request_id, reason=Reason.WILL_REBOOK,
            fee_accepted=0, operator_id="01", timestamp=when,
        )
        return b"\x06" + encode_message_frame(message, seq=7, tid=TID, key=bytes(32))

    tap.outgoing(request(f"{TID}00000099"))
    tap.outgoing(request(f"{TID}00000123"))
    tap.outgoing(request(first.request_id))  # the unknown one itself, resent: fine
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["kind"] for r in records] == ["CANCEL_REQ"] * 3
    assert f"new REQUEST_ID sent while {first.request_id} is still unknown" in records[0]["violation"]
    assert "not in the journal" in records[1]["violation"]
    assert "violation" not in records[2]
    journal.close()
