"""`pos-sim console` as a technician runs it: in a pty, on one end of `pos-sim cable`, with the real
`pos-terminal` on the other end. The console is steered by its keys and read from what it paints;
the terminal's side is read from its JSON, the host's from `pos-sim db`."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.hil.sim_processes import POS_SIM, data_toml, sim_cable
from tests.simulated_host import FREE, data_around
from tests.support.pty_session import PtySession, clean_env
from tests.terminal.test_cli import run, write_config

pytestmark = pytest.mark.timeout(180)


def json_of(done: subprocess.CompletedProcess) -> dict:
    assert done.stdout, f"no output; stderr: {done.stderr}"
    return json.loads(done.stdout)


def listed(config: Path, appt_id: str) -> dict:
    done = run(config, "--json", "list")
    assert done.returncode == 0, done.stdout + done.stderr
    return next(a for a in json_of(done)["appointments"] if a["appt_id"] == appt_id)


def test_the_console_steers_a_real_terminal_across_the_cable(tmp_path: Path) -> None:
    # `pos-terminal` judges whether an appointment can still be cancelled on its own clock, which
    # a test cannot move; so the host's clock starts at the same instant, and the data around it.
    now = datetime.now().replace(microsecond=0)
    data_file = tmp_path / "host.toml"
    data_file.write_text(data_toml(data_around(now)), encoding="utf-8")
    db = tmp_path / "host.db"
    with sim_cable(tmp_path) as cable:
        # T_RESP 3 s: a lost answer costs the terminal 3 s before it settles by STATUS_REQ.
        config = write_config(tmp_path, cable.path_a, t_resp_ms=3000)
        console_argv = [
            POS_SIM, "console", "--port", cable.path_b, "--data", str(data_file), "--db", str(db),
            "--now", now.strftime("%Y-%m-%dT%H:%M:%S"),
        ]
        with PtySession(console_argv, clean_env(tmp_path), columns=120, rows=40) as console:
            console.wait_for("lines 1/1 open", timeout=30)

            # (a) the terminal's ECHO shows in Traffic, both ways
            console.press("2", "following the newest")
            echoed = run(config, "echo")
            assert echoed.returncode == 0, echoed.stderr
            console.wait_for("ECHO_REQ", "ECHO_RESP")

            # (c) BUSY for the next answer: the next request is refused with BUSY, the one after is not
            console.press("4", "Now: answering normally")
            console.press("b", "ERROR BUSY (next answer)")
            refused = run(config, "--json", "list")
            assert refused.returncode == 1, refused.stdout + refused.stderr
            assert json_of(refused)["result"] == "BUSY"
            console.wait_for("answering normally")
            assert listed(config, FREE)["fee"] == 0

            # (d) the host's clock stepped past free-until (a day ahead) by a day and an hour: the
            # next LIST quotes the late fee
            console.press("5", "frozen")
            console.press("d", f"{now + timedelta(days=1):%Y-%m-%d %H:%M:%S}")
            console.press("+", f"{now + timedelta(days=1, hours=1):%Y-%m-%d %H:%M:%S}")
            assert listed(config, FREE)["fee"] == 5000

            # (b) the next cancel's answer is decided, then lost: the terminal settles by STATUS_REQ,
            # and the host holds one cancellation
            console.press("4", "Now: answering normally")
            console.press("a", "the next cancel answer only")
            console.press("n", "next cancel answer")
            cancelled = run(config, "--json", "cancel", FREE, "--reason", "1", "--accept-fee", "5000")
            assert cancelled.returncode == 0, cancelled.stdout + cancelled.stderr
            outcome = json_of(cancelled)
            assert outcome["state"] == "cancelled" and outcome["fee_charged"] == 5000
            console.press("2", "STATUS_REQ")
            console.wait_for("STATUS_RESP")

            shown = subprocess.run(
                [POS_SIM, "db", "--db", str(db), "--json", "show", FREE], capture_output=True, text=True, timeout=30
            )
            assert shown.returncode == 0, shown.stderr
            host_side = json.loads(shown.stdout)
            assert len(host_side["requests"]) == 1 and len(host_side["cancellations"]) == 1
            assert host_side["cancellations"][0]["cancel_ref"] == outcome["cancel_ref"]

            console.quit()
        assert console.process.returncode == 0
