"""`pos-sim console`: its arguments, the preparation it shares with `pos-sim host`, and what it hands
the console app (which the screens' own tests drive)."""

from __future__ import annotations

import os
import signal
from datetime import datetime
from pathlib import Path

import pytest

import simulator.console.app
from protocol import EchoRequest, Result, Timers
from simulator.cable import NullModemCable
from simulator.cli import main
from simulator.faults import FaultBoard
from simulator.host_activity import HostActivity
from simulator.host_clock import ClockMode, HostClock
from simulator.serve import HostServer
from tests.simulator.line_terminal import LineTerminal, wait_until
from tests.simulator.vector_data import as_toml, vector_data

NOW = datetime(2026, 11, 27, 9, 30)


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["console"], "the following arguments are required: --port"),
        (["console", "--port", "x", "--busy", "0.5"], "unrecognized arguments: --busy 0.5"),
        (["console", "--port", "x", "--delay", "100"], "unrecognized arguments: --delay 100"),
        (["console", "--port", "x", "--trace"], "argument --trace: expected one argument"),
        (["console", "--port", "x", "--now", "tomorrow"], "'tomorrow' is not a local time"),
        (["console", "--port", "/nonexistent/tty"], "pos-sim console: cannot open --port /nonexistent/tty"),
    ],
)
def test_bad_arguments_are_usage_errors_before_the_console_starts(
    arguments: list[str], complaint: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(simulator.console.app, "run_console", _never)
    assert main(arguments) == 2
    assert complaint in capsys.readouterr().err


def _never(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("the console started")


def test_the_console_gets_a_serving_host_with_its_clock_faults_activity_and_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data_file = tmp_path / "host.toml"
    data_file.write_text(as_toml(vector_data()), encoding="utf-8")
    handed: dict[str, object] = {}

    def run_console(
        server: HostServer, *, clock: HostClock, faults: FaultBoard, activity: HostActivity, data_path: str | None
    ) -> None:
        handed.update(server=server, data_path=data_path)
        assert server.serving and server.faults is faults and server.activity is activity
        assert server.clock is clock and clock.mode is ClockMode.FROZEN and clock() == NOW
        assert server.can_reload and len(server.appointments()) == 2
        with LineTerminal(cable.path_a, timers=Timers(t_char=0.05, t_ack=0.2, t_resp=1.0)) as terminal:
            echoed = terminal.ask(EchoRequest(NOW))
        assert echoed.result is Result.OK and echoed.timestamp == NOW
        notes = [text for _number, _wall, text in activity.notes_after(0)]
        assert any(note.startswith(f"serving {cable.path_b} at 115200 baud") for note in notes)
        assert activity.traffic_seen > 0

    monkeypatch.setattr(simulator.console.app, "run_console", run_console)
    with NullModemCable() as cable:
        code = main(["console", "--port", cable.path_b, "--data", str(data_file), "--db", str(tmp_path / "host.db"),
                     "--now", "2026-11-27T09:30:00", "--seed", "3"])
    assert code == 0 and handed["data_path"] == str(data_file)
    assert not handed["server"].serving  # stopped once the console returned
    err = capsys.readouterr().err
    assert err.endswith(f"pos-sim console: stopped; db {tmp_path / 'host.db'}\n")
    assert "serving" not in err  # said in the console's notes, not under its screen


def test_sigterm_ends_the_console_and_the_host_cleanly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[HostServer] = []

    def run_console(server: HostServer, **_kwargs: object) -> None:
        served.append(server)
        os.kill(os.getpid(), signal.SIGTERM)
        wait_until(lambda: False, "SIGTERM ends the console", 10.0)

    monkeypatch.setattr(simulator.console.app, "run_console", run_console)
    before = signal.getsignal(signal.SIGTERM)
    with NullModemCable() as cable:
        assert main(["console", "--port", cable.path_b]) == 0
    assert not served[0].serving and signal.getsignal(signal.SIGTERM) == before
    assert "(temporary)" in capsys.readouterr().err
