"""Demo mode keeps its state from one `pos-terminal` run to the next: the journal and the demo
host's database live in a folder of the user's data dir (README, "Demo mode"), here under
tmp_path through HOME and XDG_DATA_HOME. Each run is a real process, with the demo host in it on
a pty cable.

The demo host places its appointments around the machine's clock at each start; DEMO0001 is free
to cancel at any hour (the day after tomorrow at 10:00, free until tomorrow at 10:00), so nothing
here depends on the date."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.hil.sim_processes import wait_for
from tests.support.pty_session import PtySession, clean_env

POS_TERMINAL = str(Path(sys.executable).parent / "pos-terminal")


def demo(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([POS_TERMINAL, *args], capture_output=True, text=True, timeout=60, env=env,
                          stdin=subprocess.DEVNULL)


def test_a_cancellation_is_still_there_for_history_reprint_and_list_in_later_runs(tmp_path):
    env = clean_env(tmp_path / "home")
    cancelled = demo(env, "--json", "cancel", "DEMO0001", "--reason", "1")
    assert cancelled.returncode == 0, cancelled.stdout + cancelled.stderr
    cancel_ref = json.loads(cancelled.stdout)["cancel_ref"]

    history = demo(env, "history")
    assert history.returncode == 0, history.stderr
    [line] = history.stdout.splitlines()
    assert "DEMO0001" in line and "cancelled" in line and cancel_ref in line

    reprint = demo(env, "reprint", cancel_ref)
    assert reprint.returncode == 0, reprint.stderr
    assert cancel_ref in reprint.stdout and "重印" in reprint.stdout

    # The demo host remembers it too: no longer listed, and asking again asks nobody.
    listed = json.loads(demo(env, "--json", "list").stdout)
    assert "DEMO0001" not in [a["appt_id"] for a in listed["appointments"]]
    again = json.loads(demo(env, "--json", "cancel", "DEMO0001", "--reason", "1").stdout)
    assert (again["earlier"], again["cancel_ref"]) == (True, cancel_ref)

    folder = tmp_path / "home" / "data" / "pos-terminal" / "demo-mode"
    assert {"journal.sqlite", "demo-host.sqlite"} <= {path.name for path in folder.iterdir()}
    shutil.rmtree(folder)  # as README says, to start the demo afresh
    assert demo(env, "history").stdout == "no cancellations yet\n"
    relisted = json.loads(demo(env, "--json", "list").stdout)
    assert "DEMO0001" in [a["appt_id"] for a in relisted["appointments"]]


def test_a_second_demo_process_is_refused_naming_the_first_and_leaves_its_state_alone(tmp_path):
    env = clean_env(tmp_path / "home")
    assert demo(env, "cancel", "DEMO0001", "--reason", "1").returncode == 0
    lock = tmp_path / "home" / "data" / "pos-terminal" / "demo-mode" / "journal.sqlite.lock"
    with PtySession([POS_TERMINAL], env) as app:
        app.wait_for("取消预约", timeout=30)
        # The app opens the terminal once its menu is painted: then the journal is its.
        wait_for(lambda: lock.read_text().strip() == str(app.pid), "the app to hold the demo journal")
        second = demo(env, "history")
        assert second.returncode == 2 and second.stdout == ""
        assert f"in use by another pos-terminal process (pid {app.pid})" in second.stderr
        app.quit()
    history = demo(env, "--json", "history")
    assert history.returncode == 0, history.stderr
    assert [a["appt_id"] for a in json.loads(history.stdout)["attempts"]] == ["DEMO0001"]
    assert demo(env, "list").returncode == 0


def test_a_damaged_demo_host_database_is_refused_with_how_to_start_afresh(tmp_path):
    env = clean_env(tmp_path / "home")
    folder = tmp_path / "home" / "data" / "pos-terminal" / "demo-mode"
    folder.mkdir(parents=True)
    (folder / "demo-host.sqlite").write_bytes(b"not a database, " * 64)
    result = demo(env, "history")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "the demo host's database cannot be used" in result.stderr
    assert f"delete the folder {folder} and start again" in result.stderr
