"""bench/soak.py as a test: a short soak of the real client, host and cable processes must find no
invariant violation, and must find them when the client is deliberately broken."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOAK = REPO / "bench" / "soak.py"


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
