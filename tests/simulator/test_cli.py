"""`pos-sim host`, `report` and their arguments; the host killed and restarted keeps its word."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from protocol import CancelRequest, CancelResponse, ListRequest, Reason, RequestReceived, Result, Service, Timers
from protocol.messages import Request, Response
from simulator.cable import NullModemCable
from simulator.cli import main
from simulator.host import HostLogic
from simulator.store import HostStore
from tests.material import MERCHANT_ID, TID
from tests.simulator.line_terminal import LineTerminal, wait_until
from tests.simulator.vector_data import FIRST, SECOND, as_toml, vector_data

NOW = datetime(2026, 11, 27, 9, 31, 6)
REPO = Path(__file__).resolve().parents[2]


class HostProcess:
    """`python -m simulator host ...` in a child process, its stderr collected as it comes."""

    def __init__(self, *arguments: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "simulator", "host", *arguments],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stderr = ""
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()

    def _collect(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr += line

    def wait_serving(self) -> None:
        wait_until(lambda: "serving" in self.stderr or self.process.poll() is not None, "the host serves", 20.0)
        assert "serving" in self.stderr, self.stderr

    def ask(self, terminal_port: str, request: Request) -> Response:
        """Once the host serves, `request` from a terminal at `terminal_port` and the answer."""
        self.wait_serving()
        with LineTerminal(terminal_port, timers=Timers(t_resp=5.0)) as terminal:
            return terminal.ask(request)

    def finish(self, signum: int) -> int:
        self.process.send_signal(signum)
        code = self.process.wait(10)
        self._reader.join(5)
        return code


def test_a_killed_host_restarted_on_its_db_answers_a_repeated_cancel_with_the_same_voucher(tmp_path: Path) -> None:
    data_file = tmp_path / "host.toml"
    data_file.write_text(as_toml(vector_data()), encoding="utf-8")
    db = tmp_path / "host.db"
    request = CancelRequest(MERCHANT_ID, FIRST.appt_id, "TEST000100000003", Reason.NO_LONGER_NEEDED, 0, "00", NOW)
    arguments = ("--data", str(data_file), "--db", str(db), "--now", "2026-11-27T09:31:06")
    with NullModemCable() as cable:
        host = HostProcess("--port", cable.path_b, *arguments)
        try:
            first = host.ask(cable.path_a, request)
        finally:
            assert host.finish(signal.SIGKILL) == -signal.SIGKILL
        assert isinstance(first, CancelResponse) and first.result is Result.OK

        again = HostProcess("--port", cable.path_b, *arguments)
        try:
            repeated = again.ask(cable.path_a, request)
        finally:
            assert again.finish(signal.SIGTERM) == 0
    assert repeated == first  # same CANCEL_REF, same TIMESTAMP
    assert f"db {db};" in again.stderr and f"data {data_file};" in again.stderr
    with HostStore(db) as store:
        assert [(c.request_id, c.result, c.cancel_ref) for c in store.cancellations()] == [
            ("TEST000100000003", Result.OK, first.cancel_ref)
        ]


def test_pos_sim_host_serves_demo_data_in_a_temporary_db_and_stops_on_sigint(tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    with NullModemCable() as cable:
        host = HostProcess("--port", cable.path_b, "--trace", str(trace))
        try:
            listed = host.ask(cable.path_a, ListRequest(MERCHANT_ID, 0))  # the demo's terminal has the vectors' key
        finally:
            code = host.finish(signal.SIGINT)
    assert code == 0
    assert listed.result is Result.OK and listed.total == 5
    assert f"{cable.path_b} <- FRAME LIST_REQ seq=1 tid=TEST0001" in trace.read_text(encoding="utf-8")
    [line] = [line for line in host.stderr.splitlines() if "serving" in line]
    assert f"serving {cable.path_b} at 115200 baud" in line and "(temporary)" in line
    assert "data built-in demo data around" in line and "clock the machine's" in line
    temporary_db = Path(line.split("db ")[1].split(" (temporary)")[0])
    assert not temporary_db.exists()


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["host"], "the following arguments are required: --port"),
        (["host", "--port", "x", "--now", "27/11/2026"], "'27/11/2026' is not a local time; write YYYY-MM-DDTHH:MM:SS"),
        (["host", "--port", "x", "--busy", "2"], "'2' is not a probability"),
        (["host", "--port", "x", "--delay", "-5"], "'-5' is not a delay; write whole milliseconds"),
        (["host", "--port", "x", "--baud", "fast"], "'fast' is not a supported speed; use one of 9600"),
        (["host", "--port", "x", "--seed", "abc"], "'abc' is not a seed"),
        (["host", "--port", "/nonexistent/tty"], "cannot open --port /nonexistent/tty"),
        (["report"], "the following arguments are required: --db"),
        (["trace"], "the following arguments are required: FILE"),
    ],
)
def test_bad_arguments_are_usage_errors(arguments: list[str], complaint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(arguments) == 2
    assert complaint in capsys.readouterr().err


def test_a_malformed_data_file_is_a_usage_error_naming_the_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data_file = tmp_path / "host.toml"
    data_file.write_text(as_toml(vector_data()).replace("service = 2", "service = 9"), encoding="utf-8")
    assert main(["host", "--port", "/dev/null", "--data", str(data_file), "--db", str(tmp_path / "h.db")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"pos-sim host: {data_file}: appointment[2] (id A20261130007, line 17): 'service' 9 is not")


def test_report_counts_cancellations_by_reason_and_service_fees_and_refusals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "host.db"
    third = replace(SECOND, appt_id="A20261130008", service=Service.REPAIR)
    with HostStore(db) as store:
        store.load(vector_data(FIRST, SECOND, third))
        host = HostLogic(store, lambda: datetime(2026, 11, 29, 15, 0))  # SECOND and third now cost 5000

        def cancel(appt_id: str, request_id: str, reason: Reason, fee_accepted: int) -> None:
            request = CancelRequest(MERCHANT_ID, appt_id, request_id, reason, fee_accepted, "00", NOW)
            host.respond(RequestReceived(request, 1, TID))

        cancel(FIRST.appt_id, "R1", Reason.WILL_REBOOK, 0)  # past cancel_until: TOO_LATE
        cancel(SECOND.appt_id, "R2", Reason.NO_LONGER_NEEDED, 0)  # FEE_CHANGED
        cancel(SECOND.appt_id, "R3", Reason.NO_LONGER_NEEDED, 5000)  # OK, 50.00
        cancel(SECOND.appt_id, "R3", Reason.NO_LONGER_NEEDED, 5000)  # repeat: counted once
        cancel(third.appt_id, "R4", Reason.BUSINESS_CLOSED, 5000)  # OK, 50.00
        cancel("NOPE", "R5", Reason.OTHER, 0)  # NOT_FOUND
    with HostStore(db) as store:
        ref3, ref4 = [c.cancel_ref for c in store.cancellations() if c.cancel_ref]
    assert main(["report", "--db", str(db)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Cancellations: 2",
        "  by reason:",
        "    business closed   1",
        "    no longer needed  1",
        "  by service:",
        "    repair  2",
        "Fees charged: 2 (¥100.00 in total)",
        "Refused: 3",
        "  by result:",
        "    fee changed  1",
        "    not found    1",
        "    too late     1",
        "",
        "Cancel requests one by one (5 answered, in the order decided):",
        "  time                 terminal  appointment   reason            result       fee           cancel ref",
        "  2026-11-29 15:00:00  TEST0001  A20261128001  will rebook       too late",
        "  2026-11-29 15:00:00  TEST0001  A20261130007  no longer needed  fee changed  asked ¥50.00",
        f"  2026-11-29 15:00:00  TEST0001  A20261130007  no longer needed  cancelled    ¥50.00        {ref3}",
        f"  2026-11-29 15:00:00  TEST0001  A20261130008  business closed   cancelled    ¥50.00        {ref4}",
        "  2026-11-29 15:00:00  TEST0001  NOPE          other             not found",
    ]
    assert main(["report", "--db", str(db), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(r["request_id"], r["appt_id"], r["reason"], r["result"], r["fee_charged"], r["fee"], r["cancel_ref"])
            for r in report.pop("requests")] == [
        ("R1", FIRST.appt_id, "WILL_REBOOK", "TOO_LATE", None, None, None),
        ("R2", SECOND.appt_id, "NO_LONGER_NEEDED", "FEE_CHANGED", None, 5000, None),
        ("R3", SECOND.appt_id, "NO_LONGER_NEEDED", "OK", 5000, None, ref3),
        ("R4", third.appt_id, "BUSINESS_CLOSED", "OK", 5000, None, ref4),
        ("R5", "NOPE", "OTHER", "NOT_FOUND", None, None, None),
    ]
    assert report == {
        "cancellations": 2,
        "by_reason": {"BUSINESS_CLOSED": 1, "NO_LONGER_NEEDED": 1},
        "by_service": {"REPAIR": 2},
        "fees_charged": 2,
        "fees_total": 10000,
        "refusals": {"FEE_CHANGED": 1, "NOT_FOUND": 1, "TOO_LATE": 1},
    }


def test_report_on_a_missing_db_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--db", str(tmp_path / "none.db")]) == 2
    assert "no such database; pass the --db file the host was started with" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "none.db")


def test_sigterm_ends_the_serving_loops_wait() -> None:
    # A real SIGTERM, delivered while the loop sleeps, ends its wait. (That the handler takes no
    # lock, which an Event's set() did and once hung a host, is in StopSignal's design: the
    # deadlock's window is too narrow for a test to hit on demand.)
    from simulator.cli import _on_stop_signals

    stop, previous = _on_stop_signals()
    try:
        threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGTERM)).start()
        waits = 0
        while not stop.wait(0.02):
            waits += 1
            assert waits < 500, "SIGTERM never noted"
        assert stop.received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def test_a_second_host_on_a_line_another_holds_is_refused_and_the_line_is_left_alone(tmp_path: Path, capsys) -> None:
    from simulator.serve import HostServer
    from protocol import EchoRequest

    store = tmp_path / "host.db"
    with HostStore(store) as loading:
        loading.load(vector_data())
    with NullModemCable() as cable, HostServer([cable.path_b], store, clock=lambda: datetime(2026, 11, 27, 9, 30)):
        code = main(["host", "--port", cable.path_b, "--db", str(tmp_path / "other.db")])
        assert code == 2
        assert f"cannot open --port {cable.path_b}: another program holds it (pid {os.getpid()} " in capsys.readouterr().err
        with LineTerminal(cable.path_a, timers=Timers(t_char=0.05, t_ack=0.2, t_resp=1.0)) as terminal:
            assert terminal.ask(EchoRequest(datetime(2026, 11, 27, 9, 30))).result is Result.OK


def test_a_host_refuses_a_capture_it_cannot_write_before_it_serves(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "missing" / "host.cap"
    with NullModemCable() as cable:
        assert main(["host", "--port", cable.path_b, "--capture", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"pos-sim host: cannot write the capture to {missing} (No such file or directory); "
        "give --capture a file in a folder that exists and that you may write to\n"
    )


def test_a_host_refused_at_start_leaves_its_db_as_it_was(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "host.db"
    assert main(["host", "--port", "/nonexistent/tty", "--db", str(db)]) == 2
    assert "cannot open --port /nonexistent/tty" in capsys.readouterr().err
    assert not db.exists()  # the demo data was not written into it for good
