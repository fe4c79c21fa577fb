"""Puts a working terminal together from its config: journal, serial line, host client, printer,
and, in demo or training mode, the built-in simulated host on a pty pair. The CLI and the app both
start here, so they cannot drift apart. Reading the config is light; what opening needs (the
protocol, sqlite, pyserial, the simulator) loads with open_terminal, after the app's menu is up."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from terminal.config import (
    ConfigError,
    TerminalConfig,
    config_path_from,
    default_data_dir,
    demo_config,
    load_config,
)

if TYPE_CHECKING:
    from terminal.capture_file import CaptureFile
    from terminal.client import HostClient
    from terminal.journal import Journal
    from terminal.printing import VoucherPrinter
    from terminal.settler import Settler


@dataclass
class TerminalRuntime:
    config: TerminalConfig
    client: HostClient
    journal: Journal
    settler: Settler
    printer: VoucherPrinter | None
    demo: bool  # no port configured: the built-in simulated host with demo data
    training: bool  # a configured terminal practising against the built-in host
    _cleanups: list[Callable[[], Any]] = field(default_factory=list)

    @property
    def locale(self) -> str:
        return self.config.ui.locale

    def close(self) -> None:
        self.settler.stop(timeout=self.client.settle_bound())
        self.client.close()
        self.journal.close()
        while self._cleanups:
            self._cleanups.pop()()


def simulated_data_dir(*, training: bool) -> Path:
    """Where demo mode, or training mode, keeps its journal and its simulated host's database from
    one run to the next (README, "Demo mode"): a folder of the user's data dir, as the journal's
    default place is. Not the demo terminal's folder ("demo"), whose journal `--port` without a
    config keeps against a host elsewhere: that host knows nothing of the built-in one's."""
    return default_data_dir() / ("training" if training else "demo-mode")


def read_config(config_arg: str | None, port_arg: str | None) -> TerminalConfig:
    """The config named on the command line or in the environment, else the demo terminal;
    --port replaces the configured port. Raises ConfigError."""
    path = config_path_from(config_arg, os.environ)
    if path is None:
        config = demo_config(default_data_dir() / "demo")
    else:
        config = load_config(path)
    if port_arg is not None:
        if not port_arg.strip():
            raise ConfigError(None, "--port", "is empty; give a pyserial URL such as /dev/ttyUSB0")
        config = replace(config, link=replace(config.link, port=port_arg))
    kind = config.printer.kind
    if kind.is_escpos and importlib.util.find_spec("escpos") is None:
        raise ConfigError(
            path, "printer.kind",
            f'= "{kind}" drives a receipt printer through python-escpos, which this install lacks. '
            "Install the printer extra (pip install 'pos-cancel-appointment[printer]'; from a "
            'checkout: uv sync --extra printer), or set kind = "file" or "none".',
        )
    return config


def config_as_run(config: TerminalConfig, *, training: bool) -> TerminalConfig:
    """The terminal's identity, language and printer as open_terminal will run them, known before
    anything is opened (the demo host's port and journal are not): training runs as the demo
    terminal."""
    if training:
        return replace(config, terminal=demo_config(default_data_dir() / "demo").terminal)
    return config


def open_terminal(
    config: TerminalConfig, *, training: bool = False, capture: CaptureFile | None = None
) -> TerminalRuntime:
    """Open everything the config names. Demo mode (no port) and training mode run against the
    built-in simulated host with demo data, with a journal of their own; both, and the host's
    database, are kept in simulated_data_dir from one run to the next. `capture` (pos-terminal
    --capture) gets every byte of the line; the terminal takes it over and closes it when it
    closes."""
    from protocol import Timers
    from terminal.client import HostClient
    from terminal.journal import Journal
    from terminal.printing import printer_from_config
    from terminal.settler import Settler
    from terminal.transport import SerialLine

    cleanups: list[Callable[[], Any]] = [capture.close] if capture is not None else []
    simulated = training or config.demo
    try:
        if simulated:
            folder = simulated_data_dir(training=training)
            demo = demo_config(folder)
            if training:
                # Practice keeps the terminal's own language and printer, never its journal or key.
                config = replace(config_as_run(config, training=True), journal=demo.journal)
            else:
                config = demo
        # First: a second process on the same journal (and so on the same demo folder) is refused
        # here, before it touches the demo host's database.
        journal = Journal.open(config.journal.path)
        cleanups.append(journal.close)
        if simulated:
            from terminal.demo import start_demo_host  # the simulator loads only when wanted

            host = start_demo_host(folder)
            cleanups.append(host.stop)
            config = replace(config, link=replace(config.link, port=host.port))
        link = config.link
        client = HostClient(
            tid=config.terminal.tid,
            merchant_id=config.terminal.merchant_id,
            operator_id=config.terminal.operator_id,
            key=config.terminal.key.reveal(),
            line=SerialLine(link.port, link.baud),
            journal=journal,
            timers=Timers(link.t_char_ms / 1000, link.t_ack_ms / 1000, link.t_resp_ms / 1000),
            baud=link.baud,
            tap=capture.tap(link.port) if capture is not None else None,
        )
        cleanups.remove(journal.close)
        printer = printer_from_config(config)
    except BaseException:
        for cleanup in reversed(cleanups):
            cleanup()
        raise
    return TerminalRuntime(
        config=config,
        client=client,
        journal=journal,
        settler=Settler(client),
        printer=printer,
        demo=simulated and not training,
        training=training,
        _cleanups=cleanups,
    )
