"""The `pos-terminal` commands as a technician runs them: real processes, a real config and key
file, the real simulated host across a real pty cable; power cuts by SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from protocol import Result
from terminal.config import DEMO_PIN_HASH
from tests.material import KEY, MERCHANT_ID, TID
from tests.simulated_host import FREE, TOO_LATE, WITH_FEE, simulated_host

POS_TERMINAL = str(Path(sys.executable).parent / "pos-terminal")


def write_config(tmp_path: Path, port: str, *, t_resp_ms: int = 3000, extra: str = "") -> Path:
    key_file = tmp_path / "terminal.key"
    key_file.write_text(KEY.hex() + "\n")
    key_file.chmod(0o600)
    config = tmp_path / "terminal.toml"
    config.write_text(
        f"""
[terminal]
tid = "{TID}"
merchant_id = "{MERCHANT_ID}"
key_file = "terminal.key"
supervisor_pin = "{DEMO_PIN_HASH}"
[link]
port = "{port}"
t_ack_ms = 300
t_resp_ms = {t_resp_ms}
[journal]
path = "journal.sqlite"
{extra}
""",
        encoding="utf-8",
    )
    return config


def run(config: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [POS_TERMINAL, "--config", str(config), *args],
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )


def start(config: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [POS_TERMINAL, "--config", str(config), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
    )


def stop_after_the_host_decided(rig, config: Path, *args: str, how: signal.Signals = signal.SIGKILL) -> subprocess.Popen:
    """`cancel FREE` against a host that answers late, stopped by `how` once the host has decided
    (SIGKILL: power lost while the answer is on its way). Returns the stopped process."""
    terminal = start(config, *args, "cancel", FREE, "--reason", "1")
    wait_for(lambda: host_results(rig) == [Result.OK], what="the host to cancel")
    terminal.send_signal(how)
    return terminal


def wait_for(condition, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def journal_rows(tmp_path: Path) -> list[tuple]:
    path = tmp_path / "journal.sqlite"
    if not path.exists():
        return []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        try:
            return db.execute("SELECT request_id, state, send_count FROM attempt").fetchall()
        except sqlite3.OperationalError:
            return []


def host_results(rig) -> list[Result]:
    with rig.host_store() as store:
        return [c.result for c in store.cancellations()]


@pytest.fixture
def rig(tmp_path):
    with simulated_host(tmp_path) as rig:
        yield rig


def test_list_cancel_status_history_reprint_with_json(tmp_path, rig):
    config = write_config(tmp_path, rig.terminal_port)
    listed = run(config, "--json", "list")
    assert listed.returncode == 0, listed.stderr
    assert [a["appt_id"] for a in json.loads(listed.stdout)["appointments"]][-1] == FREE

    cancelled = run(config, "--json", "cancel", FREE, "--reason", "2")
    assert cancelled.returncode == 0, cancelled.stderr
    document = json.loads(cancelled.stdout)
    assert document["state"] == "cancelled" and document["cancel_ref"]
    assert document["cancel_ref"] in document["voucher"]

    status = run(config, "--json", "status", document["request_id"])
    assert status.returncode == 0 and json.loads(status.stdout)["cancel_ref"] == document["cancel_ref"]

    history = json.loads(run(config, "--json", "history").stdout)
    assert [a["cancel_ref"] for a in history["attempts"]] == [document["cancel_ref"]]

    reprint = run(config, "reprint", document["cancel_ref"])
    assert reprint.returncode == 0 and document["cancel_ref"] in reprint.stdout
    assert "重印" in reprint.stdout


def test_refusals_exit_1_with_plain_words(tmp_path, rig):
    config = write_config(tmp_path, rig.terminal_port)
    fee = run(config, "cancel", WITH_FEE, "--reason", "1")
    assert fee.returncode == 1 and "--accept-fee 5000" in fee.stdout
    late = run(config, "cancel", TOO_LATE, "--reason", "1")
    assert late.returncode == 1 and "too late" in late.stdout
    missing = run(config, "cancel", "NOPE", "--reason", "1")
    assert missing.returncode == 1 and "no such appointment" in missing.stdout
    missing = run(config, "reprint", "NOSUCHREF")
    assert missing.returncode == 1 and "`pos-terminal history` lists its cancellations" in missing.stderr
    assert run(config, "status", "NOSUCHREQUEST").returncode == 1
    accepted = run(config, "cancel", WITH_FEE, "--reason", "1", "--accept-fee", "5000")
    assert accepted.returncode == 0 and "¥50.00" in accepted.stdout


def test_link_failure_exits_3(tmp_path):
    config = write_config(tmp_path, str(tmp_path / "no-such-port"))
    result = run(config, "echo")
    assert result.returncode == 3 and "link failure" in result.stderr


def test_answer_never_arriving_exits_4_and_is_settled_later(tmp_path):
    trace = UnplugAfterList()  # the cancel's request and everything after it is lost on the line
    with simulated_host(tmp_path, trace=trace) as rig:
        trace.rig = rig
        config = write_config(tmp_path, rig.terminal_port, t_resp_ms=500)
        result = run(config, "cancel", FREE, "--reason", "1")
        assert result.returncode == 4, result.stdout + result.stderr
        [(request_id, state, _)] = journal_rows(tmp_path)
        assert state == "unknown" and f"pos-terminal status {request_id}" in result.stdout
        trace.rig = None
        rig.cable.plug()
        settled = run(config, "status", request_id)
        # The host never saw it: the same CANCEL_REQ goes once more and is carried out.
        assert settled.returncode == 0, settled.stdout + settled.stderr
        assert host_results(rig) == [Result.OK]


def test_power_cut_after_the_request_left_is_settled_at_next_start(tmp_path):
    with simulated_host(tmp_path, delay=2.0) as rig:
        config = write_config(tmp_path, rig.terminal_port, t_resp_ms=10_000)
        stop_after_the_host_decided(rig, config).wait(10)
        [(request_id, state, sends)] = journal_rows(tmp_path)
        assert state == "pending" and sends == 1
        again = run(config, "--json", "history")  # history does not talk to the host
        assert json.loads(again.stdout)["attempts"][0]["state"] == "pending"
        settled = run(config, "--json", "status", request_id)
        assert settled.returncode == 0, settled.stderr
        with rig.host_store() as store:
            [done] = store.cancellations()
        assert json.loads(settled.stdout)["cancel_ref"] == done.cancel_ref
        assert host_results(rig) == [Result.OK]


class UnplugAfterList:
    """A host trace stream that pulls the cable the moment the terminal ACKs the list: the
    terminal has its appointments, and what it sends next is lost on the line."""

    def __init__(self) -> None:
        self.rig = None
        self.list_sent = False

    def write(self, line: str) -> None:
        if "LIST_RESP" in line and "-> FRAME" in line:
            self.list_sent = True
        elif self.list_sent and "<- ACK" in line and self.rig is not None:
            self.rig.cable.unplug()
            self.list_sent = False

    def flush(self) -> None:
        pass


def test_power_cut_before_the_request_reached_the_host(tmp_path):
    trace = UnplugAfterList()
    with simulated_host(tmp_path, trace=trace) as rig:
        trace.rig = rig
        config = write_config(tmp_path, rig.terminal_port, t_resp_ms=10_000)
        terminal = start(config, "cancel", FREE, "--reason", "1")
        wait_for(lambda: journal_rows(tmp_path) and journal_rows(tmp_path)[0][2] == 1, what="the journal write")
        terminal.send_signal(signal.SIGKILL)
        terminal.wait(10)
        trace.rig = None
        rig.cable.plug()
        assert host_results(rig) == []
        # The next start settles it: STATUS says UNKNOWN_REQUEST, so the same request goes once more.
        listed = run(config, "list")
        assert listed.returncode == 0, listed.stderr
        assert "settled earlier cancellation" in listed.stderr
        [(request_id, state, sends)] = journal_rows(tmp_path)
        assert state == "cancelled" and sends == 2
        assert host_results(rig) == [Result.OK]


@pytest.mark.parametrize(
    "mutate, complaint",
    [
        (lambda c, k: c.unlink(), "no such config file"),
        (lambda c, k: c.write_text("[terminal\n"), "line 1"),
        (lambda c, k: c.write_text(c.read_text().replace('tid = "TEST0001"', 'tid = "TOOLONGTID"')), "terminal.tid"),
        (lambda c, k: c.write_text(c.read_text().replace(MERCHANT_ID, "12345")), "terminal.merchant_id"),
        (lambda c, k: c.write_text(c.read_text() + "colour = 1\n"), "colour"),
        (lambda c, k: k.unlink(), "terminal.key"),
        (lambda c, k: k.write_text("abc"), "64"),
        (lambda c, k: k.chmod(0o644), "chmod 600"),
    ],
    ids=["missing", "bad toml", "long tid", "short merchant", "unknown key", "no key file", "short key", "open key"],
)
def test_config_mistakes_exit_2_with_what_to_do(tmp_path, mutate, complaint):
    config = write_config(tmp_path, "/dev/null")
    mutate(config, tmp_path / "terminal.key")
    result = run(config, "echo")
    assert result.returncode == 2
    assert complaint.lower() in result.stderr.lower()
    assert KEY.hex() not in result.stderr and "Traceback" not in result.stderr


def test_a_capture_that_cannot_be_written_exits_2_before_the_line_is_opened(tmp_path):
    config = write_config(tmp_path, str(tmp_path / "no-such-port"))  # opened, it would exit 3
    missing = tmp_path / "missing" / "terminal.cap"
    advice = (f"cannot write the capture to {missing} (No such file or directory); "
              "give --capture a file in a folder that exists and that you may write to")
    refused = run(config, "--capture", str(missing), "echo")
    assert (refused.returncode, refused.stdout, refused.stderr) == (2, "", f"pos-terminal: {advice}\n")
    refused = run(config, "--json", "--capture", str(missing), "echo")
    assert refused.returncode == 2
    assert json.loads(refused.stdout) == {"ok": False, "error": "capture", "message": advice}


def test_usage_mistakes_exit_2():
    for args in (["cancel", "A1"], ["cancel", "A1", "--reason", "5"], ["list", "--page", "x"], ["frobnicate"]):
        result = subprocess.run([POS_TERMINAL, *args], capture_output=True, text=True, timeout=30)
        assert result.returncode == 2, args
        assert "pos-terminal" in result.stderr


def test_demo_mode_needs_no_config(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("POS_TERMINAL_CONFIG", None)
    result = subprocess.run([POS_TERMINAL, "--json", "list"], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"] >= 4


def test_the_reasons_in_the_help_are_the_protocols():
    from protocol import Reason
    from terminal.cli import REASONS

    assert REASONS == ", ".join(f"{int(r)} {r.name.lower().replace('_', ' ')}" for r in Reason)


def test_the_app_paints_its_menu_before_it_loads_the_protocol_the_journal_or_the_simulator():
    """What `pos-terminal` (ui) loads before its menu is painted: the shell and the plugins'
    menu entries only; the terminal itself opens once the menu is up."""
    script = (
        "import sys, terminal.cli, terminal.runtime, terminal.shell\n"
        "from terminal.plugin_api import discover_plugins\n"
        "discover_plugins()\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('protocol', 'construct', 'simulator', 'screens', 'sqlite3', 'serial', 'escpos'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.split() == ["screens", "screens.plugin"]


def test_the_demo_terminal_reads_no_toml_before_its_menu():
    # With no config file there is nothing to parse: tomllib loads with the first config read.
    script = (
        "import sys, terminal.cli, terminal.shell\n"
        "from terminal.runtime import read_config\n"
        "read_config(None, None)\n"
        "print('tomllib' in sys.modules)\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "POS_TERMINAL_CONFIG"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True, env=env)
    assert result.stdout.split() == ["False"]


def test_both_commands_print_the_package_version():
    from importlib.metadata import version

    installed = version("pos-cancel-appointment")
    for command in (POS_TERMINAL, str(Path(sys.executable).parent / "pos-sim")):
        result = subprocess.run([command, "--version"], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"{Path(command).name} {installed}\n"


def test_a_reader_that_goes_away_gets_no_traceback(tmp_path):
    config = write_config(tmp_path, "/dev/null-port")
    terminal = subprocess.Popen([POS_TERMINAL, "--config", str(config), "--json", "history"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    terminal.stdout.close()  # `pos-terminal history | head -1`, with head long gone
    _, stderr = terminal.communicate(timeout=60)
    assert b"Traceback" not in stderr and b"BrokenPipeError" not in stderr, stderr
    assert terminal.returncode == 141  # as a shell reports a process whose reader left


def test_json_is_taken_after_the_command_too_and_usage_errors_come_as_json(tmp_path):
    config = write_config(tmp_path, "/dev/null-port")
    after = run(config, "history", "--json")
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout) == {"ok": True, "attempts": []}
    for args in (["--json", "cancel", "A1", "--reason", "5"], ["cancel", "A1", "--reason", "5", "--json"]):
        wrong = run(config, *args)
        assert wrong.returncode == 2
        document = json.loads(wrong.stdout)
        assert (document["ok"], document["error"]) == (False, "usage")
        assert "reason must be one of 1 no longer needed" in document["message"]
