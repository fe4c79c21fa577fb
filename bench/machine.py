"""What the machine was doing while a bench ran, printed next to its figures."""

from __future__ import annotations

from pathlib import Path


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])
