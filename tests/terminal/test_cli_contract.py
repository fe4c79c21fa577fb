"""What `pos-terminal list` and `cancel` promise a technician, run as real processes against the
real simulated host over a pty cable: why an appointment can no longer be cancelled instead of a
fee, a page past the last refused with the number of pages, and every failure's JSON naming its
error. And one list of line speeds for the terminal, `pos-sim host` and `pos-sim cable`.

`list` judges on the machine's clock, as the terminal's screens do, so the host's clock is fixed
at the instant the test starts and the appointments are placed around it: the test means the
same on any date."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime

import pytest

from tests.simulated_host import FREE, IN_PROGRESS, TOO_LATE, WITH_FEE, MovableClock, data_around, simulated_host
from tests.hil.sim_processes import POS_SIM
from tests.terminal.test_cli import run, write_config

SPEEDS = "use one of 9600, 19200, 38400, 57600, 115200, 921600"


@pytest.fixture
def config(tmp_path):
    now = datetime.now().replace(microsecond=0)
    with simulated_host(tmp_path, data=data_around(now), clock=MovableClock(now)) as rig:
        yield write_config(tmp_path, rig.terminal_port)


def test_list_says_why_an_appointment_can_no_longer_be_cancelled_instead_of_a_fee(config):
    listed = run(config, "list")
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines() if line and not line.startswith(" ")}
    assert "It cannot be cancelled: the visit has started." in lines[IN_PROGRESS]
    assert "It cannot be cancelled: the deadline," in lines[TOO_LATE] and "has passed." in lines[TOO_LATE]
    for appt_id in (IN_PROGRESS, TOO_LATE):
        assert "cancel now" not in lines[appt_id] and "¥" not in lines[appt_id]
    assert "cancel now:     free" in lines[FREE]
    assert "cancel now:   ¥50.00" in lines[WITH_FEE]

    document = json.loads(run(config, "list", "--json").stdout)
    by_id = {a["appt_id"]: a for a in document["appointments"]}
    assert {appt_id: (a["cancellable"], a["terms"], a["fee"]) for appt_id, a in by_id.items()} == {
        IN_PROGRESS: (False, "in_progress", None),
        TOO_LATE: (False, "too_late", None),
        WITH_FEE: (True, "fee", 5000),
        FREE: (True, "free", 0),
    }
    assert by_id[IN_PROGRESS]["why_not"] == "It cannot be cancelled: the visit has started."
    assert by_id[FREE]["why_not"] is None


def test_a_page_past_the_last_is_a_usage_error_that_says_how_many_pages_there_are(config):
    first = run(config, "list", "--page", "0")
    assert first.returncode == 0 and first.stdout.startswith("page 1 of 1, 4 appointments")

    past = run(config, "list", "--page", "1")
    assert past.returncode == 2 and past.stdout == ""
    assert "pos-terminal: there is no --page 1: the host lists 4 appointments on 1 page, --page 0" in past.stderr

    document = json.loads(run(config, "--json", "list", "--page", "3").stdout)
    assert (document["ok"], document["error"], document["pages"]) == (False, "usage", 1)
    assert "there is no --page 3" in document["message"]


def test_every_failure_comes_as_json_with_its_error_and_json_is_taken_after_the_command(config):
    refused = run(config, "cancel", TOO_LATE, "--reason", "1", "--json")
    assert refused.returncode == 1
    document = json.loads(refused.stdout)
    assert (document["ok"], document["error"], document["result"]) == (False, "refused", "TOO_LATE")
    assert document["message"].startswith("not cancelled: too late to cancel")
    assert "host_message" in document

    fee_changed = run(config, "--json", "cancel", WITH_FEE, "--reason", "1")
    assert fee_changed.returncode == 1
    document = json.loads(fee_changed.stdout)
    assert (document["ok"], document["error"], document["result"], document["fee_now"]) == (
        False, "refused", "FEE_CHANGED", 5000,
    )


def test_the_terminal_the_host_and_the_cable_refuse_the_same_speed_naming_the_same_list(tmp_path):
    config = write_config(tmp_path, "/dev/null-port")
    config.write_text(config.read_text(encoding="utf-8").replace("[link]\n", "[link]\nbaud = 14400\n"), encoding="utf-8")
    terminal = run(config, "echo")
    assert terminal.returncode == 2
    assert f"link.baud: 14400 is not a supported speed; {SPEEDS}." in terminal.stderr

    for command in (["host", "--port", "/dev/null-port"], ["cable"]):
        simulator = subprocess.run([POS_SIM, *command, "--baud", "14400"], capture_output=True, text=True, timeout=60)
        assert simulator.returncode == 2 and simulator.stdout == ""
        assert f"argument --baud: '14400' is not a supported speed; {SPEEDS}" in simulator.stderr
