"""The keypad's Cancel key (a lone ESC) is taken as Esc without Textual's 100 ms poll, and what a
terminal sends for an arrow is still one key, not Esc and two letters: a small app on
PromptEscapeDriver in a real pty shows each key it gets."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from terminal.escape_key_driver import (
    ESCAPE_WAIT_MS,
    IDLE_POLL,
    PromptEscapeDriver,
    escape_wait_seconds,
    poll_timeout,
)
from tests.support.pty_session import PtySession, clean_env

KEY_ECHO_APP = """
from textual.app import App
from textual.widgets import Label
from terminal.escape_key_driver import PromptEscapeDriver


class KeyEcho(App[None]):
    def compose(self):
        yield Label("ready", id="last")

    def on_key(self, event):
        self.count = getattr(self, "count", 0) + 1
        self.query_one("#last", Label).update(f"key {self.count}: {event.key}")


KeyEcho(driver_class=PromptEscapeDriver).run()
"""


@pytest.fixture
def key_echo(tmp_path):
    script = tmp_path / "key_echo.py"
    script.write_text(KEY_ECHO_APP, encoding="utf-8")
    env = clean_env(tmp_path / "home", PYTHONPATH=str(Path(__file__).parents[2]))
    env.pop("ESCDELAY", None)
    with PtySession([sys.executable, str(script)], env, columns=40, rows=5) as session:
        session.wait_for("ready", timeout=30)
        yield session
        session.quit()


def test_a_lone_escape_is_the_escape_key(key_echo):
    key_echo.press("escape", "key 1: escape")
    key_echo.press("1", "key 2: 1")  # and the next key is its own, not part of a sequence


def test_an_arrow_stays_one_key(key_echo):
    key_echo.press("up", "key 1: up")
    key_echo.press("escape", "key 2: escape")
    key_echo.press("down", "key 3: down")


def test_escdelay_still_sets_the_wait():
    assert escape_wait_seconds({}) == ESCAPE_WAIT_MS / 1000
    assert escape_wait_seconds({"ESCDELAY": "100"}) == 0.1
    # Read as Textual reads it: not a whole number, the default; below 1 ms, 1 ms.
    assert escape_wait_seconds({"ESCDELAY": "fast"}) == ESCAPE_WAIT_MS / 1000
    assert escape_wait_seconds({"ESCDELAY": "0"}) == 0.001


def test_the_input_thread_wakes_when_a_lone_escape_is_due():
    # Nothing pending: Textual's idle poll. A lone ESC read at t=10.000 and due 10 ms later: the
    # thread wakes then, not at the end of a 100 ms poll; overdue: at once.
    assert poll_timeout(None, 10.0) == IDLE_POLL
    assert poll_timeout(10.010, 10.002) == pytest.approx(0.008)
    assert poll_timeout(10.010, 10.020) == 0.0
    assert poll_timeout(11.0, 10.0) == IDLE_POLL


def test_the_shell_runs_on_it_unless_another_driver_is_asked_for(make_app, monkeypatch):
    app = make_app()
    if sys.platform.startswith("linux"):
        assert app.get_driver_class() is PromptEscapeDriver
    monkeypatch.setattr("textual.constants.DRIVER", "textual.drivers.headless_driver:HeadlessDriver")
    assert app.get_driver_class().__name__ == "HeadlessDriver"
