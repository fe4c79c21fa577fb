"""Captures as a technician makes them: the real `pos-sim cable`, `pos-sim host` and `pos-terminal`,
each with --capture, over a real pty cable, the host also with --trace and the terminal once through
a pyserial spy:// port; then every file decoded with `pos-sim trace` (its main, in this process, to
spare the machine five starts; the last check runs the real command)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from simulator.capture import decode_capture
from simulator.cli import main
from tests.hil.sim_processes import POS_SIM, SimCable, sim_host, wait_for
from tests.terminal.test_cli import run, write_config

NOW = "2026-11-27T09:30:00"
# A decoded line: `#N [time] [line] ARROW KIND [TYPE seq=…] … | hex`.
_DECODED = re.compile(r"#\d+ .*?(?P<arrow>->|<-|A->B|B->A) (?P<kind>[A-Z-]+)(?: (?P<type>[A-Z_]+) seq=.* \| (?P<hex>[0-9a-f]+))?")
_CAPTURE_LINE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6} (\S+ )?(>|<|A->B|B->A) [0-9a-f]+")


def exchange(request: str, answer: str, sent: str, received: str) -> list[tuple[str, str, str]]:
    """One request and its answer as the side that sends on `sent` sees them: the request, its
    ACK, the answer, our ACK."""
    return [(sent, "FRAME", request), (received, "ACK", ""), (received, "FRAME", answer), (sent, "ACK", "")]


def pos_sim_trace(path: Path, capsys: pytest.CaptureFixture[str]) -> list[tuple[str, str, str, str]]:
    """`pos-sim trace FILE`: (arrow, kind, type, hex) of each line it prints."""
    code = main(["trace", str(path)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    *lines, summary = printed.out.splitlines()
    assert summary.endswith(" NAK") and "not read" not in summary, summary
    shapes = []
    for line in lines:
        match = _DECODED.match(line)
        assert match is not None, line
        shapes.append((match["arrow"], match["kind"], match["type"] or "", match["hex"] or ""))
    return shapes


def test_a_session_captured_by_the_cable_the_host_and_the_terminal_decodes_frame_by_frame(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {name: tmp_path / name for name in ("cable.cap", "host.cap", "host.trace", "terminal.cap", "spy.log")}
    cable = SimCable([POS_SIM, "cable", "--capture", str(files["cable.cap"])], tmp_path / "cable.stderr", "pos-sim cable: relaying")
    with cable:
        host = sim_host(cable.path_b, tmp_path, trace=files["host.trace"], extra=("--now", NOW, "--capture", str(files["host.cap"])))
        with host:
            config = write_config(tmp_path, cable.path_a)  # the demo terminal's TID and key
            echoed = run(config, "--capture", str(files["terminal.cap"]), "echo")
            assert echoed.returncode == 0, echoed.stderr
            spy = f"spy://{cable.path_a}?file={files['spy.log']}"
            listed = run(config, "--capture", str(files["terminal.cap"]), "--port", spy, "list")
            assert listed.returncode == 0, listed.stderr
            # The terminal's last ACK reaches the host after the terminal has ended.
            for name in ("cable.cap", "host.cap"):
                wait_for(lambda: len(decode_capture(files[name].read_bytes())[0]) == 8, f"{name} to hold both exchanges")

    for name in ("cable.cap", "host.cap", "terminal.cap"):
        for line in files[name].read_text(encoding="utf-8").splitlines():
            assert _CAPTURE_LINE.fullmatch(line), (name, line)
    decoded = {name: pos_sim_trace(path, capsys) for name, path in files.items()}
    terminal_side = exchange("ECHO_REQ", "ECHO_RESP", "->", "<-") + exchange("LIST_REQ", "LIST_RESP", "->", "<-")
    host_side = exchange("ECHO_REQ", "ECHO_RESP", "<-", "->") + exchange("LIST_REQ", "LIST_RESP", "<-", "->")
    on_the_cable = exchange("ECHO_REQ", "ECHO_RESP", "A->B", "B->A") + exchange("LIST_REQ", "LIST_RESP", "A->B", "B->A")
    assert [shape[:3] for shape in decoded["terminal.cap"]] == terminal_side
    assert [shape[:3] for shape in decoded["host.cap"]] == host_side
    assert [shape[:3] for shape in decoded["host.trace"]] == host_side  # the frame, then its ACK
    assert [shape[:3] for shape in decoded["cable.cap"]] == on_the_cable
    assert [shape[:3] for shape in decoded["spy.log"]] == terminal_side[4:]  # the list command only
    # The same four frames, byte for byte, whoever saw them.
    frames = [shape[3] for shape in decoded["terminal.cap"] if shape[1] == "FRAME"]
    assert len(frames) == 4 and all(frames)
    for name, shapes in decoded.items():
        assert [shape[3] for shape in shapes if shape[1] == "FRAME"] == (frames[2:] if name == "spy.log" else frames), name
    # The host's stderr is no capture: said so, exit 1.
    refused = subprocess.run([POS_SIM, "trace", str(tmp_path / "host.stderr")], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith(f"pos-sim trace: {tmp_path / 'host.stderr'}: no frames: this is not a capture")
    assert "Traceback" not in refused.stderr
