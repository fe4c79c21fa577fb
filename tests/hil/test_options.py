"""The hardware-in-loop options as docs/hil.md writes them: a serial device that exists given as an
option's value must not be taken for a test path (pytest's usage error before the fix)."""

from __future__ import annotations

import subprocess
import sys

from tests.material import REPO


def test_hil_ports_that_exist_are_parsed_as_the_options_values(tmp_path):
    terminal_port = tmp_path / "ttyUSB0"
    host_port = tmp_path / "ttyUSB1"
    terminal_port.touch()
    host_port.touch()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "hil", "--hil-port", str(terminal_port),
         "--hil-host-port", str(host_port), "--hil-baud", "9600", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "unrecognized arguments" not in result.stderr
    # The scenarios are set up for the two ports at the speed given, not for ptys.
    assert "tests/hil/test_scenarios.py::test_cancel[ports + pos-sim host-9600]" in result.stdout
    assert "pty" not in result.stdout
