"""What the benches share once a host process is started: waiting until it answers."""

from __future__ import annotations

import time

from terminal.client import HostClient


def echo_until_answered(client: HostClient, within: float) -> None:
    """ECHO until the host answers: a host process needs a moment to open its end of the line.
    Raises the last failure after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        try:
            client.echo()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
