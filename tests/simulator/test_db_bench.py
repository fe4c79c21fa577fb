"""A technician's session with the host's database, all real programs over a real pty cable:
`pos-sim cable`, `pos-sim host --db F`, a cancellation made with `pos-terminal`, then `pos-sim db
--db F list / show / export / reset` and `pos-sim report`, as a technician types them."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime
from pathlib import Path

from tests.hil.sim_processes import POS_SIM, POS_TERMINAL, sim_cable, sim_host
from tests.simulated_host import FREE, data_around

NOW = datetime(2026, 11, 27, 9, 30)
AT_NOW = ("--now", "2026-11-27T09:30:00")


def pos_sim(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([POS_SIM, *arguments], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def pos_terminal(folder: Path, port: str, *arguments: str) -> subprocess.CompletedProcess:
    """The demo terminal (no config file: TID TEST0001 with the vectors' key), its journal in `folder`."""
    env = {**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder / "data")}
    env.pop("POS_TERMINAL_CONFIG", None)
    return subprocess.run(
        [POS_TERMINAL, "--port", port, "--json", *arguments],
        capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL,
    )


def test_list_show_export_and_reset_the_database_a_host_keeps(tmp_path: Path) -> None:
    db = tmp_path / "host.db"
    with sim_cable(tmp_path) as cable, sim_host(cable.path_b, tmp_path, data=data_around(NOW), now=NOW) as host:
        assert f"pos-sim host: loaded {tmp_path / 'host-data.toml'} into db {db}: 1 terminal (1 new), " \
               "5 appointments (5 new)\n" in host.stderr

        cancelled = pos_terminal(tmp_path, cable.path_a, "cancel", FREE, "--reason", "1")
        assert cancelled.returncode == 0, cancelled.stderr
        voucher = json.loads(cancelled.stdout)
        request_id, cancel_ref = voucher["request_id"], voucher["cancel_ref"]

        listed = pos_sim("db", "--db", str(db), *AT_NOW, "list")
        assert listed.returncode == 0, listed.stderr
        assert "  A1FREE   898440358120001  2026-11-29 09:30  installation  cancelled    no: already cancelled" in (
            listed.stdout.splitlines()
        )
        assert "  A2FEE    898440358120001  2026-11-27 21:30  repair        booked       ¥50.00 until 2026-11-27 19:30" in (
            listed.stdout.splitlines()
        )

        shown = pos_sim("db", "--db", str(db), "show", FREE)
        assert shown.returncode == 0, shown.stderr
        assert f"Cancelled at 2026-11-27 09:30:00 by TEST0001 (request {request_id}, reason no longer needed): " \
               f"cancel ref {cancel_ref}, free" in shown.stdout.splitlines()
        assert "Cancel requests naming it (1, in the order decided):" in shown.stdout.splitlines()

        report = pos_sim("report", "--db", str(db))
        assert "No fees charged" in report.stdout
        assert f"  2026-11-27 09:30:00  TEST0001  A1FREE       no longer needed  cancelled  free  {cancel_ref}" in (
            report.stdout.splitlines()
        )

        exported = pos_sim("db", "--db", str(db), *AT_NOW, "export")
        assert exported.returncode == 0, exported.stderr
        exported_file = tmp_path / "exported.toml"
        exported_file.write_text(exported.stdout, encoding="utf-8")

        refused = pos_sim("db", "--db", str(db), *AT_NOW, "reset")
        assert refused.returncode == 2 and refused.stdout == ""
        assert f"  1 answered cancel request, 1 of them a cancellation (cancel ref {cancel_ref})" in refused.stderr
        assert refused.stderr.endswith("Nothing was changed: add --yes to reset it.\n")

        # Reset under the running host: it serves the demo data from the next request on.
        reset = pos_sim("db", "--db", str(db), *AT_NOW, "reset", "--yes")
        assert reset.returncode == 0, reset.stderr
        assert reset.stdout.startswith(f"{db} now holds built-in demo data around 2026-11-27T09:30:00 alone")
        served = pos_terminal(tmp_path, cable.path_a, "list")
        assert served.returncode == 0, served.stderr
        assert [a["appt_id"] for a in json.loads(served.stdout)["appointments"]] == [
            "DEMO0004", "DEMO0003", "DEMO0002", "DEMO0001", "DEMO0005"
        ]

    # The export serves as it was: a host started on it holds what the first database held.
    with sim_cable(tmp_path, name="cable2") as cable, sim_host(
        cable.path_b, tmp_path, now=NOW, name="again", extra=("--data", str(exported_file))
    ) as again:
        assert f"loaded {exported_file} into db {tmp_path / 'again.db'}: 1 terminal (1 new), 5 appointments (5 new)" in (
            again.stderr
        )
        relisted = pos_sim("db", "--db", str(tmp_path / "again.db"), *AT_NOW, "list")
        served = pos_terminal(tmp_path, cable.path_a, "list")
    assert relisted.stdout.splitlines()[1:] == listed.stdout.splitlines()[1:]
    assert FREE not in [a["appt_id"] for a in json.loads(served.stdout)["appointments"]]  # still cancelled
