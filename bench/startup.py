"""Start-up: `pos-terminal` in demo mode (no config) from spawn to its first painted menu, and its
peak RSS then and once the terminal has opened, next to two Textual apps started the same way in
the same run, in a pty of 80x24: the fair floor, the least a menu is built of the idiomatic Textual
way (a Header, a ListView of five items and a Footer), and the bare floor (one screen, four
labels). Runs alternate between the three; medians and their ratios are printed.

Judged against the fair floor: time <= 1.15x; peak RSS at the first paint <= 1.15x; peak RSS
after the terminal has opened (its journal, the protocol, the demo host and the plugin's screens
loaded, as the product loads them before a merchant's first key) <= 1.3x. The bare floor's ratios
are printed beside them, not judged.

    uv run python bench/startup.py [--runs 21] [--settle 1.0]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from machine import load_average

from tests.support.pty_session import BIN, PtySession, clean_env

# What every app paints: the menu line of the plugin.
MARKER = "取消预约"
BARE_APP = f'''
from textual.app import App, ComposeResult
from textual.widgets import Label


class Minimal(App[None]):
    def compose(self) -> ComposeResult:
        yield Label("POS 终端")
        yield Label("终端 TEST0001")
        yield Label("1 {MARKER}")
        yield Label("按数字键选择功能")


Minimal().run()
'''
FAIR_APP = f'''
from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Label, ListItem, ListView


class Menu(App[None]):
    TITLE = "POS 终端"
    BINDINGS = [("q", "quit", "退出")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield ListView(
            *(ListItem(Label(text)) for text in ("1 {MARKER}", "2 查询", "3 结算", "4 设置", "5 关于")),
        )
        yield Footer()


Menu().run()
'''
TERMINAL, FAIR, BARE = "pos-terminal (demo)", "fair floor: Header, 5-item ListView, Footer", "bare floor: 4 labels"
# The demo host's database: open in the terminal's process once open_terminal has got that far.
DEMO_HOST_DB = "demo-host.sqlite"


def has_open(pid: int, suffix: str) -> bool:
    fds = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(fds / fd).endswith(suffix) for fd in os.listdir(fds))
    except OSError:
        return False


def one_start(argv: list[str], home: Path, settle: float, env: dict[str, str], opens: bool) -> tuple[float, int, int]:
    """Seconds from spawn to the marker painted, the peak RSS (KiB) then, and once opened: for the
    terminal (`opens`), `settle` s after its demo host's database is open (the plugin's screens are
    prepared after that); for the floors, `settle` s after the paint."""
    home.mkdir(parents=True, exist_ok=True)
    with PtySession(argv, clean_env(home, **env)) as session:
        (painted,) = session.wait_for(MARKER, timeout=30)
        seconds = painted - session.started
        at_paint = session.status("VmHWM")
        if opens:
            deadline = time.monotonic() + 30
            while not has_open(session.pid, DEMO_HOST_DB):
                if time.monotonic() > deadline:
                    raise RuntimeError("the terminal did not open its demo host within 30 s")
                time.sleep(0.01)
        time.sleep(settle)
        session.drain(quiet=0.02, limit=0.5)
        peak = session.status("VmHWM")
        session.quit()
    return seconds, at_paint, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="starts of each app; medians are shown")
    parser.add_argument(
        "--settle", type=float, default=1.0,
        help="seconds after the terminal's demo host is open (after the paint, for the floors) before VmHWM is read",
    )
    parser.add_argument(
        "--no-bytecode", action="store_true",
        help="compile every module from source at each start (as with PYTHONDONTWRITEBYTECODE and no "
        "__pycache__); by default the apps run from a bytecode cache warmed by one start each",
    )
    args = parser.parse_args()
    print(f"load average at start: {load_average()}")
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as directory:
        workdir = Path(directory)
        (workdir / "fair_app.py").write_text(FAIR_APP, encoding="utf-8")
        (workdir / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
        # An installed terminal runs from compiled bytecode; this machine's environment may forbid
        # writing it, so it goes to a cache of this run's own.
        env = (
            {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": str(workdir / "no-pycache")}
            if args.no_bytecode
            else {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(workdir / "pycache")}
        )
        apps = {
            TERMINAL: [str(BIN / "pos-terminal")],
            FAIR: [sys.executable, str(workdir / "fair_app.py")],
            BARE: [sys.executable, str(workdir / "bare_app.py")],
        }
        times: dict[str, list[float]] = {name: [] for name in apps}
        paint_peaks: dict[str, list[int]] = {name: [] for name in apps}
        peaks: dict[str, list[int]] = {name: [] for name in apps}
        for number, (name, argv) in enumerate(apps.items()):  # the disk cache and the bytecode cache
            one_start(argv, workdir / f"warm-{number}", args.settle, env, name == TERMINAL)
        for run in range(args.runs):
            for number, (name, argv) in enumerate(apps.items()):
                seconds, at_paint, peak = one_start(argv, workdir / f"{run}-{number}", args.settle, env, name == TERMINAL)
                times[name].append(seconds)
                paint_peaks[name].append(at_paint)
                peaks[name].append(peak)
    median = statistics.median
    print(f"{'app':44} {'median s':>9} {'min s':>7} {'max s':>7} {'peak at paint MiB':>18} {'peak opened MiB':>16}")
    for name in apps:
        print(
            f"{name:44} {median(times[name]):9.3f} {min(times[name]):7.3f} {max(times[name]):7.3f}"
            f" {median(paint_peaks[name]) / 1024:18.1f} {median(peaks[name]) / 1024:16.1f}"
        )

    def ratios(floor: str) -> tuple[float, float, float, float]:
        """The ratios of the medians (time, peak at paint, peak opened) and the median of per-run
        time ratios: the runs alternate, but one run's noise is not its neighbour's, so per-run
        ratios scatter more."""
        return (
            median(times[TERMINAL]) / median(times[floor]),
            median(paint_peaks[TERMINAL]) / median(paint_peaks[floor]),
            median(peaks[TERMINAL]) / median(peaks[floor]),
            median(a / b for a, b in zip(times[TERMINAL], times[floor])),
        )

    def verdict(ratio: float, target: float) -> str:
        return f"{ratio:.2f}x (target <= {target}x: {'meets' if ratio <= target else 'MISSES'})"

    time_ratio, paint_ratio, opened_ratio, paired = ratios(FAIR)
    print(
        f"\nagainst the fair floor: time {verdict(time_ratio, 1.15)}; peak RSS at first paint "
        f"{verdict(paint_ratio, 1.15)}; peak RSS once the terminal has opened {verdict(opened_ratio, 1.3)};"
        f" median of per-run time ratios {paired:.2f}x"
    )
    time_ratio, paint_ratio, opened_ratio, paired = ratios(BARE)
    print(
        f"against the bare floor (not judged): time {time_ratio:.2f}x, peak RSS at first paint {paint_ratio:.2f}x,"
        f" once opened {opened_ratio:.2f}x; median of per-run time ratios {paired:.2f}x"
    )
    print(
        f"{args.runs} alternating runs, 80x24 pty, {'no bytecode cache' if args.no_bytecode else 'bytecode cache'};"
        f" time: spawn to {MARKER!r} painted; peak: VmHWM when painted, and once opened: {args.settle} s after"
        f" the terminal's demo host database is open (after the paint, for the floors)."
        f"\nload average at end: {load_average()}"
    )


if __name__ == "__main__":
    main()
