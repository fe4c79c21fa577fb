"""The console's dialogs, each a ModalScreen[T] with its own footer of keys: a number asked for
(a share, milliseconds), a yes/no, and one traffic entry's bytes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Static

from protocol.trace import describe_record
from simulator.host_activity import TrafficEntry

T = TypeVar("T")

# A reader turns what was typed into a value, or raises ValueError with what is wrong.
Reader = Callable[[str], T]


@dataclass(frozen=True)
class Preset:
    label: str
    text: str  # what it puts in the box


class AskNumber(ModalScreen[T | None], Generic[T]):
    """Ask for one number. Enter takes it if the reader accepts it; else the dialog says what is
    wrong and stays. Esc gives None: nothing changes."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, title: str, prompt: str, read: Reader[T], *, value: str = "", presets: tuple[Preset, ...] = ()) -> None:
        super().__init__()
        self.title_words = title
        self.prompt = prompt
        self.read = read
        self.value = value
        self.presets = presets

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_words, classes="dialog-title")
            yield Static(self.prompt, classes="dialog-prompt")
            yield Input(self.value, id="dialog-input", select_on_focus=True)
            if self.presets:
                with Horizontal(classes="dialog-presets"):
                    for number, preset in enumerate(self.presets):
                        yield Button(preset.label, id=f"preset-{number}", compact=True)
            yield Static("", id="dialog-problem")
        yield Footer()

    def on_input_submitted(self, message: Input.Submitted) -> None:
        message.stop()
        self.take(message.value)

    def on_button_pressed(self, message: Button.Pressed) -> None:
        message.stop()
        preset = self.presets[int((message.button.id or "preset-0").removeprefix("preset-"))]
        self.query_one(Input).value = preset.text
        self.take(preset.text)

    def take(self, text: str) -> None:
        try:
            value = self.read(text)
        except ValueError as problem:
            self.query_one("#dialog-problem", Static).update(f"{problem}. Nothing was changed; try again, or Esc.")
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(ModalScreen[bool]):
    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("y", "answer(True)", "yes"),
        Binding("n,escape", "answer(False)", "no"),
    ]

    def __init__(self, title: str, question: str) -> None:
        super().__init__()
        self.title_words = title
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_words, classes="dialog-title")
            yield Static(self.question, classes="dialog-prompt")
        yield Footer()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


def hex_lines(data: bytes, width: int = 16) -> list[str]:
    """`0000  02 00 1f …` lines, `width` bytes each."""
    return [f"{offset:04x}  {data[offset:offset + width].hex(' ')}" for offset in range(0, len(data), width)]


class FrameBytes(ModalScreen[None]):
    """One traffic entry: what it is, and its bytes in hex."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape,enter", "close", "close")]

    def __init__(self, entry: TrafficEntry, *, line: int) -> None:
        super().__init__()
        self.entry = entry
        self.line = line

    def compose(self) -> ComposeResult:
        entry = self.entry
        record = entry.record
        direction = "host -> terminal" if record.direction == "tx" else "terminal -> host"
        data = record.data
        with Vertical(classes="dialog", id="frame-bytes"):
            yield Static(
                f"#{entry.number}  {entry.wall:%H:%M:%S.%f}"[:-3] + f"  line {self.line} ({entry.url})  {direction}",
                classes="dialog-title",
            )
            yield Static(describe_record(record), id="frame-words")
            size = f"{len(data)} byte{'' if len(data) == 1 else 's'}"
            yield Static("\n".join([size, *hex_lines(data)]) if data else "no bytes (a link happening)", id="frame-hex")
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
