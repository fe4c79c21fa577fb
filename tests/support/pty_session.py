"""A program run in a pseudo-terminal, for the benches and the end-to-end tests: keys written to it, its output read until a
piece of text shows up (or the output goes quiet), and its memory read from /proc. The output
parser is the least that tells painted text apart from escape sequences; it is not a terminal
emulator, so a marker must be text that one frame writes in one run (a label, a title)."""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

# CSI (cursor moves, colours), OSC (titles, hyperlinks) and two-byte escapes; what is left is text.
_ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|[\x00-\x08\x0e-\x1f]")

KEYS = {"enter": b"\r", "escape": b"\x1b", "backspace": b"\x7f", "up": b"\x1b[A", "down": b"\x1b[B"}
BIN = Path(sys.executable).parent


def painted_text(raw: bytes) -> str:
    """The text in a stretch of terminal output, escape sequences taken out."""
    return _ESCAPES.sub(b"", raw).decode("utf-8", "replace")


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment with no config: demo mode, data under `home`."""
    env = {k: v for k, v in os.environ.items() if k not in ("POS_TERMINAL_CONFIG", "TEXTUAL", "TEXTUAL_DEBUG")}
    env.update(
        HOME=str(home), XDG_DATA_HOME=str(home / "data"), TMPDIR=str(home), TERM="xterm-256color",
        COLORTERM="truecolor",
    )
    env.update(extra)
    return env


class PtySession:
    """One program in a pty of `columns` x `rows`; `started` is the monotonic time of the spawn."""

    def __init__(self, argv: list[str], env: dict[str, str], *, columns: int = 80, rows: int = 24) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.master = master
        self.output = bytearray()  # everything read so far
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        os.set_blocking(master, False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self, timeout: float) -> tuple[bytes, float]:
        """Bytes that arrive within `timeout`, and the moment the first of them was read."""
        ready, _, _ = select.select([self.master], [], [], max(timeout, 0.0))
        if not ready:
            return b"", 0.0
        at = time.monotonic()
        try:
            data = os.read(self.master, 65536)
        except (BlockingIOError, InterruptedError):
            return b"", 0.0
        except OSError:  # EIO: the program has gone
            raise EOFError("the program closed its terminal") from None
        if not data:
            raise EOFError("the program closed its terminal")
        self.output += data
        return data, at

    def drain(self, quiet: float = 0.05, limit: float = 2.0) -> None:
        """Read until the output has been quiet for `quiet` seconds (at most `limit`)."""
        deadline = time.monotonic() + limit
        last = time.monotonic()
        while time.monotonic() < deadline:
            data, at = self._read(quiet)
            if not data:
                if time.monotonic() - last >= quiet:
                    return
            else:
                last = at

    def wait_for(self, *markers: str, timeout: float = 10.0) -> list[float]:
        """Read until each marker is painted in output that arrives from now on; for each, the
        monotonic time of the read that completed it (a later marker never before an earlier)."""
        seen = bytearray()
        found: dict[str, float] = {}
        deadline = time.monotonic() + timeout
        while len(found) < len(markers):
            left = deadline - time.monotonic()
            if left <= 0:
                missing = [marker for marker in markers if marker not in found]
                tail = painted_text(bytes(seen[-2000:]))
                raise TimeoutError(f"{missing} not painted within {timeout} s; last text: {tail!r}")
            data, at = self._read(min(left, 0.5))
            if not data:
                continue
            seen += data
            text = painted_text(bytes(seen))
            for marker in markers:
                if marker not in found and marker in text:
                    found[marker] = at
        times = [found[marker] for marker in markers]
        return [max(times[: i + 1]) for i in range(len(times))]

    def press(self, key: str, *markers: str, timeout: float = 10.0) -> list[float]:
        """Seconds from writing `key` to each marker painted. Output before the key is read first."""
        self.drain(quiet=0.03)
        sent = time.monotonic()
        os.write(self.master, KEYS.get(key, key.encode()))
        return [at - sent for at in self.wait_for(*markers, timeout=timeout)]

    def press_until_quiet(self, key: str, quiet: float = 0.1, timeout: float = 5.0) -> float:
        """Seconds from writing `key` to the last output before `quiet` seconds of silence."""
        self.drain(quiet=0.03)
        sent = time.monotonic()
        os.write(self.master, KEYS.get(key, key.encode()))
        last = None
        deadline = sent + timeout
        while time.monotonic() < deadline:
            data, at = self._read(quiet)
            if data:
                last = at
            elif last is not None:
                return last - sent
        raise TimeoutError(f"no output after {key!r}")

    def status(self, field: str) -> int:
        """A /proc/<pid>/status figure in KiB (VmRSS, VmHWM)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise KeyError(field)

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def quit(self, timeout: float = 5.0) -> None:
        """Ctrl+Q (Textual's quit), so the app cleans up after itself; then close()."""
        if self.process.poll() is None:
            try:
                os.write(self.master, b"\x11")
                deadline = time.monotonic() + timeout
                while self.process.poll() is None and time.monotonic() < deadline:
                    try:
                        self._read(0.05)
                    except EOFError:
                        break
            except OSError:
                pass
        self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        try:
            os.close(self.master)
        except OSError:
            pass

    def __enter__(self) -> PtySession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
