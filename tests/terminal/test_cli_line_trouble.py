"""`pos-terminal` on a troubled line, as a technician meets it: real `pos-sim cable` and
`pos-sim host` processes, the real `pos-terminal` across the pty cable. --verbose shows each step
of a lossy exchange; a wrong key, a port another program holds, a dead line, a noisy line and a
busy host each get words of their own and what to do."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import serial

from protocol import Reason
from simulator.data import SimulatorData, Terminal
from terminal.journal import Journal
from tests.hil.sim_processes import POS_SIM, SimCable, sim_host
from tests.material import KEY, MERCHANT_ID, TID
from tests.simulated_host import FREE, NOW, appointment
from tests.terminal.test_cli import run, write_config

# One appointment with a short address: a LIST_RESP small enough to get through a lossy line.
DATA = SimulatorData(
    (Terminal(TID, MERCHANT_ID, KEY),), (appointment(FREE, hours_ahead=48, address="Unit 7"),), "line trouble"
)
STAMP = r"\d\d:\d\d:\d\d\.\d\d\d "


def cable(folder: Path, *impairments: str) -> SimCable:
    return SimCable([POS_SIM, "cable", *impairments], folder / "cable.stderr", "pos-sim cable: relaying")


def host(folder: Path, port: str, *extra: str):
    return sim_host(port, folder, data=DATA, now=NOW, extra=extra)


def journal_a_lost_cancellation(folder: Path) -> str:
    """An earlier run journaled a cancellation of FREE and lost power before its request left;
    its REQUEST_ID. The next command settles it first (STATUS_REQ)."""
    with Journal.open(folder / "journal.sqlite") as journal:
        return journal.record_attempt(
            appt_id=FREE, merchant_id=MERCHANT_ID, tid=TID, operator_id="00", reason=Reason.NO_LONGER_NEEDED,
            fee_accepted=0, created_at=NOW, scheduled_at=None, service=None, address=None, sending=True,
        ).request_id


def test_verbose_shows_a_lossy_cancel_step_by_step(tmp_path):
    with cable(tmp_path, "--noise", "0.01", "--seed", "3") as line, host(tmp_path, line.path_b):
        config = write_config(tmp_path, line.path_a)
        request_id = journal_a_lost_cancellation(tmp_path)
        result = run(config, "--verbose", "cancel", FREE, "--reason", "1")
    lines = result.stderr.splitlines()
    progress = [line for line in lines if re.match(STAMP, line)]
    assert progress, result.stderr
    assert f"settling request {request_id} with STATUS_REQ, try 1/3" in result.stderr
    assert re.search(STAMP + r"sent STATUS_REQ SEQ \d+ \(\d+ bytes\)", result.stderr)
    assert re.search(STAMP + r"resent \w+_REQ SEQ \d+, send 2/3 \((NAK|no ACK within T_ACK)\)", result.stderr)
    assert re.search(STAMP + r"waiting up to 3 s for the answer to STATUS_REQ SEQ \d+", result.stderr)
    assert re.fullmatch(STAMP + rf"finished in \d+\.\d\d s, exit code {result.returncode}", lines[-1])
    # How the story ends depends on which bytes the noise hit: with this seed the host answers the
    # STATUS_REQ (it never got that request), the same CANCEL_REQ is sent again and is NAKed 3
    # times, the host still has not got it, so a new cancellation is sent and carried out.
    assert result.returncode in (0, 4), result.stdout + result.stderr
    if result.returncode == 0:
        assert re.search(STAMP + r"received STATUS_RESP SEQ \d+ UNKNOWN_REQUEST \(\d+ bytes\)", result.stderr)
        assert re.search(STAMP + r"received CANCEL_RESP SEQ \d+ OK \(\d+ bytes\)", result.stderr)
        assert f"cancelled {FREE}: cancellation number" in result.stdout
    assert KEY.hex() not in result.stderr


def test_verbose_keeps_stdout_one_json_document(tmp_path):
    with cable(tmp_path) as line, host(tmp_path, line.path_b):
        config = write_config(tmp_path, line.path_a)
        result = run(config, "echo", "--json", "--verbose")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True
    assert [re.sub(STAMP, "", line) for line in result.stderr.splitlines()][:4] == [
        "sent ECHO_REQ SEQ 1 (42 bytes)",
        "ACK from the host",
        "waiting up to 3 s for the answer to ECHO_REQ SEQ 1",
        "received ECHO_RESP SEQ 1 OK (45 bytes)",
    ]


def test_a_wrong_key_says_the_key_or_tid_does_not_match(tmp_path):
    with cable(tmp_path) as line, host(tmp_path, line.path_b):
        config = write_config(tmp_path, line.path_a)
        (tmp_path / "terminal.key").write_text(bytes(range(100, 132)).hex() + "\n")  # not the host's
        result = run(config, "list")
        as_json = run(config, "--json", "list")
    assert result.returncode == 1, result.stderr
    assert "host answered ERROR BAD_MAC" in result.stderr
    assert f"key or TID does not match the host's, so the host did nothing. Check tid ({TID}) and key_file" in result.stderr
    assert "try again later" not in result.stderr
    document = json.loads(as_json.stdout)
    assert (document["error"], document["result"], document["verified"]) == ("host-error", "BAD_MAC", False)


def test_a_port_another_program_holds_is_said_held_naming_the_holder(tmp_path):
    with cable(tmp_path) as line, host(tmp_path, line.path_b):
        config = write_config(tmp_path, line.path_a)
        holder = serial.serial_for_url(line.path_a, exclusive=True)  # as minicom would
        try:
            result = run(config, "echo")
            as_json = run(config, "--json", "echo")
        finally:
            holder.close()
        again = run(config, "echo")
    assert result.returncode == 3, result.stderr
    assert f"{line.path_a} is held by another program (pid {os.getpid()} " in result.stderr
    assert "nothing was sent. Close or stop that program" in result.stderr
    document = json.loads(as_json.stdout)
    assert (document["error"], document["problem"]) == ("link", "port-held")
    assert [h["pid"] for h in document["holders"]] == [os.getpid()]
    assert again.returncode == 0, again.stderr  # released: the port is the terminal's again


def test_a_dead_line_and_a_noisy_line_are_told_apart(tmp_path):
    with cable(tmp_path) as line:  # nothing on the far end
        config = write_config(tmp_path, line.path_a)
        dead = run(config, "--json", "echo")
        dead_text = run(config, "echo")
    noisy_folder = tmp_path / "noisy"
    noisy_folder.mkdir()
    with cable(noisy_folder, "--noise", "0.5", "--seed", "3") as line, host(noisy_folder, line.path_b):
        config = write_config(noisy_folder, line.path_a)
        noisy = run(config, "--json", "echo")
        noisy_text = run(config, "echo")
    assert dead.returncode == noisy.returncode == 3
    assert json.loads(dead.stdout)["problem"] == "dead-line"
    assert "no answer at all: not one byte came back from the host in 3 sends" in dead_text.stderr
    assert "that the host is running" in dead_text.stderr
    assert json.loads(noisy.stdout)["problem"] == "noisy-line"
    assert "the line is noisy" in noisy_text.stderr and "same speed" in noisy_text.stderr
    assert "not one byte came back" not in noisy_text.stderr


def test_a_cancellation_left_unknown_says_why(tmp_path):
    with cable(tmp_path) as line:  # nothing on the far end
        config = write_config(tmp_path, line.path_a)
        request_id = journal_a_lost_cancellation(tmp_path)
        result = run(config, "status", request_id)
    assert result.returncode == 4, result.stderr
    assert f"pos-terminal status {request_id}. Last try: link failure: no answer at all" in result.stdout


def test_a_busy_host_says_wait_and_run_it_again(tmp_path):
    with cable(tmp_path) as line, host(tmp_path, line.path_b, "--busy", "1"):
        config = write_config(tmp_path, line.path_a)
        listed = run(config, "list")
        cancelled = run(config, "cancel", FREE, "--reason", "1")
    assert listed.returncode == 1, listed.stderr
    assert "The host is busy and did nothing; wait a minute, then run the same command again." in listed.stderr
    assert "try again later." not in listed.stderr.replace("host busy, try again later", "")
    assert cancelled.returncode == 1  # the listing before the cancellation was refused: nothing was sent
    assert "wait a minute" in cancelled.stderr
