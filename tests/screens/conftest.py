"""Fixtures for the screen tests: a real journal in tmp_path, the scripted client, a context,
and the shell app built on them with a clock that stands still."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Callable

import pytest

import screens.waiting
import terminal.settler
from screens.keypad import KeyButton
from terminal.config import demo_config
from terminal.journal import Journal
from terminal.plugin_api import PluginContext
from terminal.printing import VoucherPrinter
from terminal.shell import ShellApp, build_app
from tests.screens.scripted_client import NOW, ScriptedClient


@pytest.fixture
def journal(tmp_path: Path):
    journal = Journal(tmp_path / "journal.sqlite", new_instance=lambda: "7KQ2MX")
    yield journal
    journal.close()


@pytest.fixture
def client(journal: Journal) -> ScriptedClient:
    return ScriptedClient(journal)


@pytest.fixture(autouse=True)
def no_waiting_between_settle_rounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terminal.settler, "ROUND_PAUSE_SECONDS", 0.0)


MakeApp = Callable[..., ShellApp]


@pytest.fixture
def make_app(tmp_path: Path, journal: Journal, client: ScriptedClient) -> MakeApp:
    """build_app on the real plugin (found through its entry point), the scripted client, NOW."""

    def make(
        locale: str = "zh_CN", *, training: bool = False, printer: VoucherPrinter | None = None,
        clock: Callable[[], datetime] = lambda: NOW,
    ) -> ShellApp:
        context = PluginContext(
            client=client,
            journal=journal,
            config=demo_config(tmp_path),
            locale=locale,
            training=training,
            printer=printer,
        )
        return build_app(context, clock=clock)

    return make


@pytest.fixture
def still_screens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing on screen depends on timing: no press flash, no spinner turning, no second
    settle round. For snapshots."""
    monkeypatch.setattr(KeyButton, "FLASH_SECONDS", 0.0)
    monkeypatch.setattr(screens.waiting, "TICK_SECONDS", 3600.0)
    monkeypatch.setattr(terminal.settler, "ROUND_PAUSE_SECONDS", 3600.0)
