"""`pos-terminal cancel` cut short as a technician or a merchant cuts it: Ctrl-C, SIGTERM, a power
cut and the same command run again, a journal that cannot take the host's answer. Real processes,
the real simulated host across a real pty cable."""

from __future__ import annotations

import json
import signal
import sqlite3
from pathlib import Path

import pytest

from protocol import Reason, Result
from terminal.journal import AttemptState, Journal
from tests.simulated_host import FREE, simulated_host, terminal_client
from tests.terminal.test_cli import (
    host_results,
    journal_rows,
    run,
    start,
    stop_after_the_host_decided,
    wait_for,
    write_config,
)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_cancel_says_what_is_pending_and_how_to_settle_it(tmp_path, stop):
    with simulated_host(tmp_path, delay=1.5) as rig:
        config = write_config(tmp_path, rig.terminal_port, t_resp_ms=10_000)
        terminal = stop_after_the_host_decided(rig, config, "--json", how=stop)
        stdout, stderr = terminal.communicate(timeout=30)
        assert terminal.returncode == 4, stdout + stderr
        assert "Traceback" not in stderr
        document = json.loads(stdout)
        [(request_id, state, _sends)] = journal_rows(tmp_path)
        assert state == "pending"  # kept: the host may have cancelled it (it did)
        assert (document["ok"], document["error"], document["request_id"], document["state"]) == (
            False, "outcome-unknown", request_id, "unknown")
        assert f"pos-terminal status {request_id}" in document["how_to_settle"]
        settled = run(config, "--json", "status", request_id)
        assert settled.returncode == 0, settled.stdout + settled.stderr
        document = json.loads(settled.stdout)
        assert document["state"] == "cancelled"
        assert document["cancel_ref"] in document["voucher"]  # settled now: its voucher, first time shown
        assert host_results(rig) == [Result.OK]


class HostTrace:
    """The host's trace lines, as the host writes them."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, line: str) -> None:
        self.lines.append(line)

    def flush(self) -> None:
        pass


def test_an_interrupted_list_says_nothing_was_left_open(tmp_path):
    trace = HostTrace()
    with simulated_host(tmp_path, delay=3.0, trace=trace) as rig:
        config = write_config(tmp_path, rig.terminal_port, t_resp_ms=10_000)
        terminal = start(config, "--json", "list")
        wait_for(lambda: any("LIST_REQ" in line for line in trace.lines), what="the host to get the LIST_REQ")
        terminal.send_signal(signal.SIGINT)
        stdout, stderr = terminal.communicate(timeout=30)
        assert terminal.returncode == 130, stdout + stderr
        assert "Traceback" not in stderr
        document = json.loads(stdout)
        assert (document["ok"], document["error"]) == (False, "interrupted")
        assert "nothing was left open" in document["message"]


def test_the_same_cancel_after_a_power_cut_reports_the_voucher_instead_of_asking_again(tmp_path):
    with simulated_host(tmp_path, delay=2.0) as rig:
        config = write_config(tmp_path, rig.terminal_port, t_resp_ms=10_000)
        stop_after_the_host_decided(rig, config).wait(10)
        again = run(config, "--json", "cancel", FREE, "--reason", "1")
        assert again.returncode == 0, again.stdout + again.stderr
        document = json.loads(again.stdout)
        with rig.host_store() as store:
            [done] = store.cancellations()
        assert (document["ok"], document["state"], document["cancel_ref"]) == (True, "cancelled", done.cancel_ref)
        assert done.cancel_ref in document["voucher"]
        # One REQUEST_ID only: the old attempt settled at start, and no new request was sent.
        assert [row[1] for row in journal_rows(tmp_path)] == ["cancelled"]
        assert host_results(rig) == [Result.OK]


class LockJournalOnAnswer:
    """A host trace stream that, the moment the host sends its CANCEL_RESP, has another program
    take the terminal's journal (an exclusive sqlite lock) until released."""

    def __init__(self, journal_path: Path) -> None:
        self.journal_path = journal_path
        self.holder: sqlite3.Connection | None = None

    def write(self, line: str) -> None:
        if "CANCEL_RESP" in line and self.holder is None:
            self.holder = sqlite3.connect(self.journal_path, isolation_level=None, timeout=5, check_same_thread=False)
            self.holder.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        if self.holder is not None:
            self.holder.execute("ROLLBACK")
            self.holder.close()
            self.holder = None

    def flush(self) -> None:
        pass


def test_a_journal_that_cannot_take_the_answer_leaves_the_outcome_unknown_and_pending(tmp_path):
    path = tmp_path / "journal.sqlite"
    taker = LockJournalOnAnswer(path)
    with simulated_host(tmp_path, trace=taker) as rig, Journal.open(path, busy_timeout_s=0.2) as journal:
        client = terminal_client(rig.terminal_port, journal)
        try:
            outcome = client.cancel(FREE, Reason.OTHER, 0)
            assert outcome.state is AttemptState.UNKNOWN
            assert "another program holds it" in outcome.journal_problem
            taker.release()
            assert journal.get(outcome.attempt.request_id).state is AttemptState.PENDING
            # The next settle round (at the latest, the next start) records what the host decided.
            settled = client.settle(outcome.attempt.request_id)
        finally:
            taker.release()
            client.close()
        with rig.host_store() as store:
            [done] = store.cancellations()
        assert (settled.state, settled.attempt.cancel_ref) == (AttemptState.CANCELLED, done.cancel_ref)


# pos-terminal, with Ctrl-C pressed while the voucher of a cancellation the host confirmed is printed.
CTRL_C_WHILE_PRINTING = (
    "import os, signal, sys\n"
    "import terminal.commands as commands\n"
    "printing = commands._print_voucher\n"
    "def ctrl_c_then_print(*args, **kwargs):\n"
    "    os.kill(os.getpid(), signal.SIGINT)\n"
    "    return printing(*args, **kwargs)\n"
    "commands._print_voucher = ctrl_c_then_print\n"
    "from terminal.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def test_an_interrupt_after_the_answer_was_recorded_reports_the_cancellation_and_its_voucher(tmp_path):
    import subprocess
    import sys

    with simulated_host(tmp_path) as rig:
        config = write_config(tmp_path, rig.terminal_port)
        result = subprocess.run(
            [sys.executable, "-c", CTRL_C_WHILE_PRINTING, "--config", str(config), "--json", "cancel", FREE, "--reason", "1"],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )
        with rig.host_store() as store:
            [done] = store.cancellations()
    assert result.returncode == 0, result.stdout + result.stderr  # cancelled: never "nothing was left open"
    assert "Traceback" not in result.stderr
    document = json.loads(result.stdout)
    assert (document["ok"], document["state"], document["cancel_ref"]) == (True, "cancelled", done.cancel_ref)
    assert done.cancel_ref in document["voucher"]
    assert "after the host's answer was recorded" in " ".join(document["notes"])
