"""Where a key's time goes: `pos-terminal` in demo mode in a pty, as bench/screens.py runs it, with
cProfile on its UI thread switched on just before the chosen keys and off once the screen they lead
to is painted and the output has gone quiet; the profile of those keys over every pass is printed
(cumulative and own time), with the process's CPU for them.

    uv run python bench/profile_keys.py "shell menu: 1" [--passes 3] [--size 80x24] [--top 40]

A key is named as bench/screens.py's rows name it ("plugin menu: 2", "confirm: enter", ...); the
profiler only runs in this bench's process tree (a wrapper around pos-terminal's main), never in
the product. Profiled time is inflated by the profiler: read the shares, and judge the change by
bench/screens.py's CPU column.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pstats
import signal
import sys
import tempfile
import time
from pathlib import Path

from floor import timed_press

from tests.support.pty_session import PtySession, clean_env

# Run in the child: pos-terminal's main with a profiler SIGUSR1 starts and SIGUSR2 stops (on the
# main thread, where Textual runs the screens); the stats are written when the app ends.
WRAPPER = """
import cProfile, os, signal, sys
from terminal.cli import main
profiler = cProfile.Profile()
signal.signal(signal.SIGUSR1, lambda *_: profiler.enable())
signal.signal(signal.SIGUSR2, lambda *_: profiler.disable())
try:
    code = main([])
finally:
    profiler.disable()
    profiler.dump_stats(os.environ["BENCH_PROFILE_OUT"])
sys.exit(code)
"""


def load_flow() -> list:
    """bench/screens.py's FLOW (loaded under another name: `screens` is the plugin's package)."""
    spec = importlib.util.spec_from_file_location("bench_screens", Path(__file__).with_name("screens.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FLOW


def profile_pass(home: Path, size: tuple[int, int], chosen: set[str], out: Path) -> dict[str, float]:
    """One pass through the flow, profiling the chosen keys; their CPU seconds."""
    home.mkdir(parents=True)
    env = clean_env(home, BENCH_PROFILE_OUT=str(out), PYTHONPYCACHEPREFIX=str(home.parent / "pycache"))
    cpu: dict[str, float] = {}
    with PtySession([sys.executable, "-c", WRAPPER], env, columns=size[0], rows=size[1]) as session:
        session.wait_for("按数字键选择功能", timeout=30)
        time.sleep(1.0)
        session.drain(quiet=0.03)
        for screen, key, marks in load_flow():
            name = f"{screen}: {key}"
            markers = [marker for _what, marker, _kind in marks]
            if name not in chosen:
                timed_press(session, key, *markers, timeout=30)
                continue
            os.kill(session.pid, signal.SIGUSR1)
            time.sleep(0.02)  # the handler runs once the loop wakes: before the key is read
            before = session.cpu_seconds()
            session.press(key, *markers, timeout=30)
            session.drain(quiet=0.1)
            cpu[name] = session.cpu_seconds() - before
            os.kill(session.pid, signal.SIGUSR2)
            time.sleep(0.02)
        session.quit()
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("keys", nargs="+", help='keys as bench/screens.py names them, e.g. "shell menu: 1"')
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--size", default="80x24")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative,tottime")
    parser.add_argument("--save", help="write the combined stats here (for snakeviz, pstats)")
    args = parser.parse_args()
    size = tuple(int(n) for n in args.size.split("x"))
    names = {f"{screen}: {key}" for screen, key, _marks in load_flow()}
    unknown = set(args.keys) - names
    if unknown:
        parser.error(f"no such key in the flow: {', '.join(sorted(unknown))}; one of: {', '.join(sorted(names))}")
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as directory:
        workdir = Path(directory)
        files, cpus = [], []
        for number in range(args.passes + 1):  # the first pass fills the bytecode cache
            out = workdir / f"profile-{number}.prof"
            cpu = profile_pass(workdir / f"pass-{number}", size, set(args.keys), out)
            if number:
                files.append(str(out))
                cpus.append(cpu)
        stats = pstats.Stats(*files)
        if args.save:
            stats.dump_stats(args.save)
        for name in args.keys:
            values = [c[name] * 1000 for c in cpus]
            print(f"CPU of {name!r} (process, 10 ms ticks): {', '.join(f'{v:.0f}' for v in values)} ms")
        stats.strip_dirs()
        for order in args.sort.split(","):
            print(f"\n--- by {order}, {args.passes} passes together")
            stats.sort_stats(order).print_stats(args.top)


if __name__ == "__main__":
    main()
