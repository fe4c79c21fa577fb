"""Neither the terminal's key nor the supervisor PIN appears in anything a full run leaves behind.

A terminal with a key and a PIN known to this test runs every CLI command against a `pos-sim host
--trace FILE` process over a pty cable, plus the usual mistakes (a refusal, a link failure, a
config error, an uncaught traceback), then the app itself: the PIN typed on the keypad, wrong and
right, and the technician's link test and trace. Then every output is searched: the CLI's stdout
and stderr, the host's stderr, trace and report, the log, the journal's and the host's database
files, the tracebacks (plain, and with locals as Textual prints them), screenshots of the app, and
the SVG snapshots under tests/screens/__snapshots__. Searched for: the key as hex (either case),
as raw bytes, as Python's repr of them and as base64; the PIN's digits.

The host's database is the one place the key must be: the simulator is the key's other holder
(docs/protocol.md §3), and keeps it in its terminal table. It is checked to be there only.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import re
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.traceback import Traceback

from simulator.cable import NullModemCable
from simulator.data import Terminal
from terminal.client import LinkFailure
from terminal.config import load_config
from terminal.plugin_api import PluginContext
from terminal.runtime import open_terminal, read_config
from terminal.shell import build_app
from terminal.supervisor_pin import hash_pin
from tests.hil.sim_processes import POS_SIM, POS_TERMINAL, sim_host
from tests.material import MERCHANT_ID, REPO, TID
from tests.simulated_host import DATA, FREE, NOW, WITH_FEE

KEY = bytes.fromhex("5ec2e79a41b0d3f6c8271e9b4a603d5f8e17c2a94b6d0e3f1a57c8b2d4e6f809")
PIN = "735194"
SNAPSHOTS = REPO / "tests" / "screens" / "__snapshots__"
TEXT_NEEDLES = {
    "key hex": KEY.hex(),
    "KEY HEX": KEY.hex().upper(),
    "key repr": repr(KEY)[2:-1],
    "key base64": base64.b64encode(KEY).decode(),
    "key bytes": KEY.decode("latin-1"),
}
# Frame dumps in traces are long hex runs; six digits inside one are a MAC or a CRC, not a PIN.
HEX_RUN = re.compile(r"[0-9A-Fa-f]{12,}")


def text_leaks(text: str) -> list[str]:
    found = [name for name, needle in TEXT_NEEDLES.items() if needle in text]
    if PIN in HEX_RUN.sub(" ", text):
        found.append("PIN")
    return found


def byte_leaks(data: bytes, *, raw_key_allowed: bool = False) -> list[str]:
    found = [name for name, needle in TEXT_NEEDLES.items() if name != "key bytes" and needle.encode() in data]
    if KEY in data and not raw_key_allowed:
        found.append("key bytes")
    if PIN.encode() in data or PIN.encode("utf-16-le") in data:
        found.append("PIN")
    return found


def write_terminal(folder: Path, port: str, *, key_mode: int = 0o600) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "terminal.key"
    key_file.write_text(KEY.hex() + "\n")
    key_file.chmod(key_mode)
    config = folder / "terminal.toml"
    config.write_text(
        f'[terminal]\ntid = "{TID}"\nmerchant_id = "{MERCHANT_ID}"\nkey_file = "terminal.key"\n'
        f'supervisor_pin = "{hash_pin(PIN, salt=b"grep-every-file!")}"\n'
        f'[link]\nport = "{port}"\nt_ack_ms = 300\nt_resp_ms = 3000\n'
        '[journal]\npath = "journal.sqlite"\n[ui]\nlocale = "en"\n',
        encoding="utf-8",
    )
    return config


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


async def _wait_for(pilot, condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"the app never reached: {what} (on {type(pilot.app.screen).__name__})")
        await pilot.pause(0.05)


def drive_the_app(config_path: Path) -> list[str]:
    """The PIN typed on the keypad (part of it, a wrong one, the right one), then the technician's
    link test and trace; a screenshot at each step."""
    runtime = open_terminal(load_config(config_path))
    context = PluginContext(
        client=runtime.client, journal=runtime.journal, config=runtime.config, locale="en",
        training=False, printer=None,
    )
    app = build_app(context)
    shots: list[str] = []

    async def scenario() -> None:
        async with app.run_test(size=(80, 30)) as pilot:
            await pilot.pause()
            await pilot.press("1")
            await _wait_for(pilot, lambda: type(app.screen).__name__ == "PinScreen", "the PIN screen")
            await pilot.press(*PIN[:4])
            shots.append(app.export_screenshot())
            await pilot.press("backspace", *"000000", "enter")
            await _wait_for(pilot, lambda: context.pin_lockout.failures()[0] == 1, "a wrong try counted")
            shots.append(app.export_screenshot())
            await pilot.press(*PIN, "enter")
            await _wait_for(pilot, lambda: type(app.screen).__name__ == "HomeScreen", "the unlocked menu")
            await pilot.press("3")
            await _wait_for(pilot, lambda: type(app.screen).__name__ == "TechnicianScreen", "the technician screen")
            await pilot.press("1")
            await _wait_for(pilot, lambda: runtime.client.counters.frames_in >= 1, "the link test's answer")
            await pilot.pause(0.3)
            await pilot.press("2")
            await pilot.pause(0.2)
            shots.append(app.export_screenshot())

    try:
        asyncio.run(scenario())
    finally:
        runtime.close()
    return shots


def test_no_key_or_pin_in_anything_a_full_run_leaves(tmp_path: Path) -> None:
    data = replace(DATA, terminals=(Terminal(TID, MERCHANT_ID, KEY),))
    host_dir, terminal_dir = tmp_path / "host", tmp_path / "terminal"
    host_dir.mkdir()
    texts: dict[str, str] = {}
    log_file = tmp_path / "terminal.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with NullModemCable() as cable, sim_host(cable.path_b, host_dir, data=data, now=NOW, trace=host_dir / "trace.txt") as host:
            config = write_terminal(terminal_dir, cable.path_a)
            steps = {
                "list json": ("--json", "list"),
                "list": ("list",),
                "cancel": ("--json", "cancel", FREE, "--reason", "2"),
                "refused": ("cancel", WITH_FEE, "--reason", "1"),
                "echo": ("echo",),
                "no such request": ("status", "NOSUCHREQUEST"),
                "link failure": ("--port", str(tmp_path / "no-such-port"), "echo"),
            }
            results = {name: run(POS_TERMINAL, "--config", str(config), *args) for name, args in steps.items()}
            assert [results[n].returncode for n in steps] == [0, 0, 0, 1, 0, 1, 3], {n: r.stderr for n, r in results.items()}
            cancelled = json.loads(results["cancel"].stdout)
            for name, args in {
                "status": ("--json", "status", cancelled["request_id"]),
                "history": ("history",),
                "history json": ("--json", "history"),
                "reprint": ("reprint", cancelled["cancel_ref"]),
                "reprint json": ("--json", "reprint", cancelled["cancel_ref"]),
            }.items():
                results[name] = run(POS_TERMINAL, "--config", str(config), *args)
                assert results[name].returncode == 0, results[name].stderr
            shots = drive_the_app(config)
            report = run(POS_SIM, "report", "--db", str(host_dir / "host.db"))
        assert host.stop() == 0

        # A config error, through the CLI and as an uncaught traceback, and tracebacks with locals.
        broken = write_terminal(tmp_path / "broken", "/dev/null", key_mode=0o644)
        results["config error"] = run(POS_TERMINAL, "--config", str(broken), "echo")
        assert results["config error"].returncode == 2
        uncaught = run(sys.executable, "-c", f"from terminal.config import load_config; load_config({str(broken)!r})")
        assert "Traceback" in uncaught.stderr and "ConfigError" in uncaught.stderr
        texts["uncaught traceback"] = uncaught.stderr
        try:
            open_terminal(read_config(str(config), str(tmp_path / "no-such-port"))).client.echo()
        except LinkFailure as failure:
            console = Console(file=io.StringIO(), width=200, record=True)
            console.print(Traceback.from_exception(type(failure), failure, failure.__traceback__, show_locals=True))
            texts["traceback with locals"] = console.export_text()
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
        handler.close()

    for name, result in results.items():
        texts[f"pos-terminal {name}: stdout"] = result.stdout
        texts[f"pos-terminal {name}: stderr"] = result.stderr
    texts["pos-sim report"] = report.stdout + report.stderr
    texts["pos-sim host stderr"] = host.stderr
    texts["pos-sim host trace"] = (host_dir / "trace.txt").read_text(encoding="utf-8")
    texts["terminal log"] = log_file.read_text(encoding="utf-8")
    for number, shot in enumerate(shots):
        texts[f"screenshot {number}"] = shot
    for snapshot in sorted(SNAPSHOTS.glob("**/*.svg")) if SNAPSHOTS.is_dir() else []:
        texts[f"snapshot {snapshot.name}"] = snapshot.read_text(encoding="utf-8")

    # It all really happened: the host traced the cancellation, the PIN screen showed dots, the
    # technician's screen the trace, and the voucher came back from the journal.
    assert "CANCEL_REQ" in texts["pos-sim host trace"], texts["terminal log"]
    assert "•" in texts["screenshot 0"] and "ECHO_RESP" in texts["screenshot 2"]
    assert cancelled["cancel_ref"] in texts["pos-terminal reprint: stdout"]

    leaks = {name: found for name, text in texts.items() if (found := text_leaks(text))}
    for path in sorted(terminal_dir.glob("journal.sqlite*")):
        if found := byte_leaks(path.read_bytes()):
            leaks[path.name] = found
    for path in sorted(host_dir.glob("host.db*")):
        if found := byte_leaks(path.read_bytes(), raw_key_allowed=True):
            leaks[path.name] = found
    assert not leaks

    with sqlite3.connect(f"file:{host_dir / 'host.db'}?mode=ro", uri=True) as db:
        assert db.execute("SELECT key FROM terminal WHERE tid = ?", (TID,)).fetchone()[0] == KEY
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            cursor = db.execute(f"SELECT * FROM {table}")  # noqa: S608 - names from sqlite_master
            columns = [d[0] for d in cursor.description]
            for row in cursor:
                for column, value in zip(columns, row):
                    if (table, column) == ("terminal", "key"):
                        continue
                    raw = value if isinstance(value, bytes) else str(value).encode()
                    assert not byte_leaks(raw), (table, column)
