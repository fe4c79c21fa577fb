"""Textual's own floor for a key press, measured the way the benches measure pos-terminal (a real
terminal driver in a pty, key written to the pty, time to the read that brings the new text) and in
the same run: bench/screens.py judges every screen against it, bench/e2e.py its screen path.

One small app, on the same input driver as pos-terminal (so Esc costs both the same wait):

  1      a label updated (the floor of a PIN digit)
  s      a bare screen pushed: three labels (the floor of any new screen)
  l      a list screen pushed, built the idiomatic Textual way: a Header, a summary Label, a
         ListView of five ListItems (a Label each) and a Footer showing two Bindings; the same
         things a list screen of the plugin shows (title, summary, five rows, key bar)
  Esc    the screen on top popped

Each figure comes with the CPU time the app's process used for it (/proc/PID/stat, in the
kernel's 10 ms ticks: a single key's figure is only good as a mean over many presses).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.pty_session import PtySession, clean_env

FLOOR_APP = '''
from terminal.escape_key_driver import PromptEscapeDriver
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, ListItem, ListView


class Second(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Label("第二屏 SECOND")
        yield Label("a few")
        yield Label("labels")

    def on_key(self, event) -> None:
        if event.key == "escape":
            event.stop()
            self.dismiss()


class ListLike(Screen[None]):
    TITLE = "列表屏 LIST 第 1/2 页"
    BINDINGS = [Binding("escape", "back", "返回"), Binding("right", "next", "下一页")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("共 5 个预约")
        yield ListView(*(ListItem(Label(f"{n} 12-01 10:0{n} 上门安装 免费  成都市武侯区天府大道{n}号")) for n in range(1, 6)))
        yield Footer()

    def action_back(self) -> None:
        self.dismiss()

    def action_next(self) -> None:
        pass


class Floor(App[None]):
    presses = 0

    def compose(self) -> ComposeResult:
        yield Label("按键 0 次", id="count")
        yield Label("第一屏 FIRST")

    def on_key(self, event) -> None:
        if event.key == "s":
            self.push_screen(Second())
        elif event.key == "l":
            self.push_screen(ListLike())
        elif event.key == "1":
            self.presses += 1
            self.query_one("#count", Label).update(f"按键 {self.presses} 次")


# The same input driver as pos-terminal, so that Esc costs both the same 10 ms wait.
Floor(driver_class=PromptEscapeDriver).run()
'''

# (name, key, marker); a pushed screen is popped with Esc before the next.
LABEL, PUSH, POP, LIST_PUSH, LIST_POP = (
    "label updated", "screen pushed", "screen popped", "list screen pushed", "list screen popped",
)


@dataclass(frozen=True)
class Press:
    seconds: float  # key written to the marker painted
    cpu: float | None  # the app's CPU seconds from the key to its last marker (10 ms ticks); None
    # on a key's earlier markers (a key's CPU cannot be told apart between its markers)


def timed_press(session: PtySession, key: str, *markers: str, timeout: float = 10.0) -> list[Press]:
    """session.press with the app's CPU time from the key to its last marker."""
    session.drain(quiet=0.03)
    before = session.cpu_seconds()
    times = session.press(key, *markers, timeout=timeout)
    cpu = session.cpu_seconds() - before
    return [Press(seconds, cpu if n == len(times) - 1 else None) for n, seconds in enumerate(times)]


def floor_pass(home: Path, env: dict[str, str], size: tuple[int, int], presses: int) -> dict[str, list[Press]]:
    """`presses` rounds of each floor figure in one new process of the floor app."""
    home.mkdir(parents=True)
    app = home / "floor_app.py"
    app.write_text(FLOOR_APP, encoding="utf-8")
    out: dict[str, list[Press]] = {name: [] for name in (LABEL, PUSH, POP, LIST_PUSH, LIST_POP)}
    with PtySession([sys.executable, str(app)], clean_env(home, **env), columns=size[0], rows=size[1]) as session:
        session.wait_for("第一屏", timeout=30)
        time.sleep(1.0)  # as the benches wait after pos-terminal's first paint
        for count in range(1, presses + 1):
            for name, key, marker in (
                (LABEL, "1", f"按键 {count} 次"),
                (PUSH, "s", "第二屏"),
                (POP, "escape", "第一屏"),
                (LIST_PUSH, "l", "5 12-01 10:05"),
                (LIST_POP, "escape", "第一屏"),
            ):
                out[name] += timed_press(session, key, marker)
        session.quit()
    return out


def warm_up(workdir: Path, env: dict[str, str], size: tuple[int, int]) -> None:
    """The floor app started once, to its first paint, which fills the bytecode cache. (No keys:
    in this first, slow start a key pressed a second after the first paint was sometimes never
    answered.)"""
    home = workdir / "warm-floor"
    home.mkdir(parents=True)
    app = home / "floor_app.py"
    app.write_text(FLOOR_APP, encoding="utf-8")
    with PtySession([sys.executable, str(app)], clean_env(home, **env), columns=size[0], rows=size[1]) as session:
        session.wait_for("第一屏", timeout=30)
        session.quit()


FLOOR_NOTE = (
    "floor: a minimal Textual app in the same run, on pos-terminal's input driver (bench/floor.py):"
    " a label updated on a key; a bare screen (three labels) pushed, and popped with Esc; a list"
    " screen built the Textual way (Header, Label, ListView of five ListItems, Footer with two"
    " Bindings) pushed and popped."
)

