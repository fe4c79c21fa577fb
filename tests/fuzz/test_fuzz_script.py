"""bench/fuzz.py as a person runs it: a small run of every target, its figures, its reproducers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from protocol.enums import MAX_FRAME
from tests.material import REPO

FUZZ = REPO / "bench" / "fuzz.py"
INPUTS = 2500
ROW = re.compile(r"^(framer|messages|host|terminal)\s+(\d+)\s+(\d+)\s+(\d+ B|-)\s+\S+\s+(\d+)\s+([\d.]+)s$")


def test_a_small_run_of_every_target(tmp_path: Path) -> None:
    crashes = tmp_path / "crashes"
    run = subprocess.run(
        [sys.executable, str(FUZZ), "--inputs", str(INPUTS), "--seed", "7", "--crash-dir", str(crashes), "--quiet"],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )
    rows = {m.group(1): m for m in map(ROW.match, run.stdout.splitlines()) if m}
    assert set(rows) == {"framer", "messages", "host", "terminal"}, run.stdout + run.stderr
    for target, row in rows.items():
        assert int(row.group(2)) == INPUTS
        if target != "messages":
            assert int(row.group(4).split()[0]) <= MAX_FRAME + 4200  # one frame + the largest read
    kinds = re.findall(r"^  \w+: \d+ x (.+)$", run.stdout, re.MULTILINE)
    assert not kinds, run.stdout
    assert run.returncode == 0

    assert not list(crashes.glob("*.json"))
