"""Start-up: `pos-terminal` in demo mode (no config) from spawn to its first painted menu, and its
peak RSS then, next to a minimal Textual app (one screen, a few labels) started the same way in the
same run, in a pty of 80x24. Runs alternate between the two; medians and their ratios are printed.
Target: <= 1.15 x the minimal app's time and <= 1.2 x its peak RSS.

    uv run python bench/startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from machine import load_average

from tests.support.pty_session import BIN, PtySession, clean_env

# What both apps paint: the menu line of the plugin.
MARKER = "取消预约"
MINIMAL_APP = f'''
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


def one_start(argv: list[str], home: Path, settle: float, env: dict[str, str]) -> tuple[float, int, int]:
    """Seconds from spawn to the marker painted, the peak RSS (KiB) then, and `settle` s later."""
    home.mkdir(parents=True, exist_ok=True)
    with PtySession(argv, clean_env(home, **env)) as session:
        (painted,) = session.wait_for(MARKER, timeout=30)
        seconds = painted - session.started
        at_paint = session.status("VmHWM")
        time.sleep(settle)  # what start-up leaves running (the demo host, the settler) has run too
        session.drain(quiet=0.02, limit=0.5)
        peak = session.status("VmHWM")
        session.quit()
    return seconds, at_paint, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="starts of each app; medians are shown")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds after the paint before VmHWM is read")
    parser.add_argument(
        "--no-bytecode", action="store_true",
        help="compile every module from source at each start (as with PYTHONDONTWRITEBYTECODE and no "
        "__pycache__); by default both apps run from a bytecode cache warmed by one start each",
    )
    args = parser.parse_args()
    print(f"load average at start: {load_average()}")
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as directory:
        workdir = Path(directory)
        minimal = workdir / "minimal_app.py"
        minimal.write_text(MINIMAL_APP, encoding="utf-8")
        # An installed terminal runs from compiled bytecode; this machine's environment may forbid
        # writing it, so it goes to a cache of this run's own.
        env = (
            {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": str(workdir / "no-pycache")}
            if args.no_bytecode
            else {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(workdir / "pycache")}
        )
        apps = {
            "pos-terminal (demo)": [str(BIN / "pos-terminal")],
            "minimal Textual app": [sys.executable, str(minimal)],
        }
        times: dict[str, list[float]] = {name: [] for name in apps}
        paint_peaks: dict[str, list[int]] = {name: [] for name in apps}
        peaks: dict[str, list[int]] = {name: [] for name in apps}
        for name, argv in apps.items():  # the disk cache and the bytecode cache
            one_start(argv, workdir / f"warm-{name[:3]}", args.settle, env)
        for run in range(args.runs):
            for name, argv in apps.items():
                seconds, at_paint, peak = one_start(argv, workdir / f"{run}-{name[:3]}", args.settle, env)
                times[name].append(seconds)
                paint_peaks[name].append(at_paint)
                peaks[name].append(peak)
    terminal, floor = "pos-terminal (demo)", "minimal Textual app"
    # The ratio of the medians: the two apps' runs alternate, but one run's noise is not its
    # neighbour's, so per-run ratios scatter more (their median is shown too).
    t_ratio = statistics.median(times[terminal]) / statistics.median(times[floor])
    t_paired = statistics.median(a / b for a, b in zip(times[terminal], times[floor]))
    m_ratio = statistics.median(peaks[terminal]) / statistics.median(peaks[floor])
    print(f"{'app':22} {'median s':>9} {'min s':>7} {'max s':>7} {'peak at paint MiB':>18} {'peak MiB':>9}")
    for name in apps:
        print(
            f"{name:22} {statistics.median(times[name]):9.3f} {min(times[name]):7.3f} {max(times[name]):7.3f}"
            f" {statistics.median(paint_peaks[name]) / 1024:18.1f} {statistics.median(peaks[name]) / 1024:9.1f}"
        )
    print(
        f"\nratio of the medians: time {t_ratio:.2f}x (target <= 1.15x, "
        f"{'meets' if t_ratio <= 1.15 else 'MISSES'}), peak RSS {m_ratio:.2f}x "
        f"(target <= 1.2x, {'meets' if m_ratio <= 1.2 else 'MISSES'}); median of per-run time ratios {t_paired:.2f}x"
    )
    print(
        f"{args.runs} alternating runs, 80x24 pty, {'no bytecode cache' if args.no_bytecode else 'bytecode cache'};"
        f" time: spawn to {MARKER!r} painted; peak: VmHWM when painted, and {args.settle} s later (the ratio's)."
        f"\nload average at end: {load_average()}"
    )


if __name__ == "__main__":
    main()
