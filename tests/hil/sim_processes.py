"""`pos-sim host` and `pos-sim cable` as the separate processes a technician runs, for the tests
that need the real commands: started, waited for until they say they are ready, stopped with
SIGTERM, their stderr kept in a file for the test to read afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from simulator.data import SimulatorData

BIN = Path(sys.executable).parent
POS_SIM = str(BIN / "pos-sim")
POS_TERMINAL = str(BIN / "pos-terminal")
READY_TIMEOUT = 30.0


def data_toml(data: SimulatorData) -> str:
    """The simulator data file (docs/host-data.md) that loads as `data`."""
    lines: list[str] = []
    for terminal in data.terminals:
        lines += ["[[terminal]]", f'tid = "{terminal.tid}"', f'merchant_id = "{terminal.merchant_id}"',
                  f'key = "{terminal.key.hex()}"', ""]
    for a in data.appointments:
        lines += [
            "[[appointment]]", f'id = "{a.appt_id}"', f'merchant_id = "{a.merchant_id}"',
            f'scheduled_at = "{a.scheduled_at:%Y-%m-%dT%H:%M:%S}"', f"service = {int(a.service)}",
            f"status = {int(a.status)}", f'address = "{a.address}"', f"late_fee = {a.late_fee}",
            f'free_until = "{a.free_until:%Y-%m-%dT%H:%M:%S}"', f'cancel_until = "{a.cancel_until:%Y-%m-%dT%H:%M:%S}"', "",
        ]
    return "\n".join(lines)


@dataclass
class SimProcess:
    args: list[str]
    stderr_path: Path
    ready_text: str
    process: subprocess.Popen | None = None
    stdout_lines: list[str] = field(default_factory=list)

    def start(self) -> SimProcess:
        self.stderr_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.stderr_path, "ab") as stderr:
            self.process = subprocess.Popen(
                self.args, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, text=True
            )
        deadline = time.monotonic() + READY_TIMEOUT
        while self.ready_text not in self.stderr:
            if self.process.poll() is not None:
                raise AssertionError(f"{' '.join(self.args)} exited {self.process.returncode}:\n{self.stderr}")
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"{' '.join(self.args)} never said {self.ready_text!r}:\n{self.stderr}")
            time.sleep(0.02)
        return self

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace") if self.stderr_path.exists() else ""

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> int | None:
        """SIGTERM, as Ctrl-C would; SIGKILL only if it does not end within 10 s."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout is not None and not self.process.stdout.closed:
            self.stdout_lines += self.process.stdout.read().splitlines()
            self.process.stdout.close()
        return self.process.returncode

    def __enter__(self) -> SimProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def sim_host(
    port: str,
    folder: Path,
    *,
    baud: int = 115200,
    data: SimulatorData | None = None,
    now: datetime | None = None,
    trace: Path | None = None,
    name: str = "host",
    extra: tuple[str, ...] = (),
) -> SimProcess:
    """`pos-sim host` on `port`, its db and data file in `folder` (kept across restarts)."""
    args = [POS_SIM, "host", "--port", port, "--baud", str(baud), "--db", str(folder / f"{name}.db")]
    if data is not None:
        data_file = folder / f"{name}-data.toml"
        data_file.write_text(data_toml(data), encoding="utf-8")
        args += ["--data", str(data_file)]
    if now is not None:
        args += ["--now", now.strftime("%Y-%m-%dT%H:%M:%S")]
    if trace is not None:
        args += ["--trace", str(trace)]
    return SimProcess([*args, *extra], folder / f"{name}.stderr", "pos-sim host: serving")


class SimCable(SimProcess):
    """`pos-sim cable`; its two endpoints' paths are on the first line of its stdout."""

    path_a: str
    path_b: str

    def start(self) -> SimCable:
        super().start()
        assert self.process is not None and self.process.stdout is not None
        self.path_a, self.path_b = self.process.stdout.readline().split()
        return self


def sim_cable(folder: Path, *, baud: int | None = None, link_a: Path | None = None, link_b: Path | None = None,
              name: str = "cable") -> SimCable:
    args = [POS_SIM, "cable"]
    if baud is not None:
        args += ["--baud", str(baud)]
    if link_a is not None:
        args += ["--link-a", str(link_a)]
    if link_b is not None:
        args += ["--link-b", str(link_b)]
    return SimCable(args, folder / f"{name}.stderr", "pos-sim cable: relaying")


def wait_for(condition, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(0.02)


def env_without_config() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("POS_TERMINAL_CONFIG", None)
    return env
