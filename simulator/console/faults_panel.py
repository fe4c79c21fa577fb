"""Faults: what the host does to its next answer, or to every answer until cleared. Each choice
has a key; Enter sets the highlighted one; `o` switches new faults between the next answer only
and until cleared, `a` between any answer and answers to cancels only; `c` clears (answer normally). What each does on the wire, and what the
terminal should do about it, shows under the list (docs/console.md says the same)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from simulator.console.dialogs import AskNumber, Preset
from simulator.console.live import LiveText, PaintedWhenShown
from simulator.faults import Fault, FaultBoard, FaultKind

MOST_MS = 600_000  # ten minutes: longer than any terminal waits


def read_share(text: str) -> float:
    """`0.25` or `25%`: the share of requests refused."""
    words = text.strip()
    try:
        share = float(words[:-1]) / 100 if words.endswith("%") else float(words)
    except ValueError:
        raise ValueError(f"{words or 'nothing'!r} is not a number: type a share such as 0.25 or 25%") from None
    if not 0.0 < share <= 1.0:
        raise ValueError(f"{words} is outside the range: a share is above 0 and at most 1 (or 100%)")
    return share


def read_milliseconds(text: str) -> int:
    words = text.strip()
    try:
        milliseconds = int(words)
    except ValueError:
        raise ValueError(f"{words or 'nothing'!r} is not a whole number of milliseconds (such as 1500)") from None
    if not 0 <= milliseconds <= MOST_MS:
        raise ValueError(f"{milliseconds} ms is outside the range: give 0 to {MOST_MS} ms")
    return milliseconds


@dataclass(frozen=True)
class Choice:
    key: str
    label: str
    wire: str  # what the host does on the line, and what the terminal should do


CHOICES = (
    Choice("b", "ERROR BUSY",
           "Answers ERROR BUSY and does nothing. The terminal says the host is busy; the merchant may try again."),
    Choice("p", "ERROR BUSY to a share of requests…",
           "Until cleared, answers that share of requests (drawn for each) with ERROR BUSY; the rest normally."),
    Choice("n", "decide, then lose the answer",
           "Decides and stores (a cancel is done), ACKs the request, never sends the answer. The terminal "
           "must settle by STATUS_REQ and show the cancellation once."),
    Choice("l", "answer late…",
           "Holds the answer back that many ms after ACKing the request. Past T_RESP the terminal settles "
           "by STATUS_REQ; a late answer after that is a duplicate it ignores."),
    Choice("s", "answer in two writes…",
           "Writes the answer in two parts that many ms apart. Below T_CHAR the terminal joins them; above "
           "it drops the half frame, does not ACK, and the host resends the answer."),
    Choice("j", "junk bytes before the answer",
           "Writes bytes that are no frame just before the answer. The terminal skips them as noise and "
           "takes the answer."),
    Choice("x", "silent, as if unplugged",
           "Reads nothing, ACKs nothing, answers nothing, until cleared. The terminal times out and says "
           "the host does not answer; a cancel in flight is settled later."),
    Choice("c", "answer normally (clear)", "Every answer as the host decides it, on time, in one write."),
)


class FaultChoices(OptionList):
    pass


class FaultsPanel(PaintedWhenShown, Vertical):
    BINDINGS = [
        Binding("o", "toggle_once", "next answer/until cleared"),
        Binding("a", "toggle_cancels_only", "any answer/cancels only"),
        Binding("c", "choose('c')", "answer normally"),
        *(Binding(choice.key, f"choose('{choice.key}')", choice.label, show=False) for choice in CHOICES if choice.key != "c"),
    ]

    def __init__(self, board: FaultBoard, t_char: float, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.board = board
        self.t_char_ms = round(t_char * 1000)
        self.once = True  # what a new fault lasts for
        self.cancels_only = False  # which answers a new fault is for
        self._shown: tuple | None = None

    def compose(self) -> ComposeResult:
        yield LiveText(id="faults-active")
        yield LiveText(id="faults-lasting")
        yield FaultChoices(*(self._option(choice) for choice in CHOICES), id="faults-choices", compact=True)
        yield Static("", id="faults-wire")

    def _option(self, choice: Choice) -> Option:
        line = Text()
        line.append(f" {choice.key} ", style="bold reverse")
        line.append(f" {choice.label}")
        return Option(line, id=choice.key)

    def on_mount(self) -> None:
        self.query_one(FaultChoices).highlighted = 0

    def show(self) -> None:
        """Called on every poll and after each key: painted while the tab shows and the fault in
        force (it may have been used up by an answer since) or the settings changed."""
        if self._state() != self._shown:
            self.repaint()

    def _state(self) -> tuple:
        return (self.board.active, self.board.applied, self.once, self.cancels_only)

    def paint(self) -> None:
        self._shown = state = self._state()
        active, applied = state[0], state[1]  # as one reading: the serving threads change them
        now = "Now: answering normally" if active is None else f"Now: {active.describe()}"
        self.query_one("#faults-active", LiveText).say(f"{now} · answers changed by faults so far: {applied}")
        self.query_one("#faults-active").set_class(active is not None, "-fault")
        answer = "cancel answer" if self.cancels_only else "answer"
        lasting = f"the next {answer} only" if self.once else f"every {answer} until cleared"
        self.query_one("#faults-lasting", LiveText).say(
            f"A fault set now lasts for {lasting} (o switches; a: any answer or cancels only)."
        )

    def on_option_list_option_highlighted(self, message: OptionList.OptionHighlighted) -> None:
        choice = next(c for c in CHOICES if c.key == message.option.id)
        self.query_one("#faults-wire", Static).update(choice.wire)

    def on_option_list_option_selected(self, message: OptionList.OptionSelected) -> None:
        message.stop()
        self.action_choose(message.option.id or "c")

    # -- keys

    def action_toggle_once(self) -> None:
        self.once = not self.once
        self.show()

    def action_toggle_cancels_only(self) -> None:
        self.cancels_only = not self.cancels_only
        self.show()

    def action_choose(self, key: str) -> None:
        choices = self.query_one(FaultChoices)
        choices.highlighted = next(index for index, choice in enumerate(CHOICES) if choice.key == key)
        once, cancels_only = self.once, self.cancels_only
        simple = {"b": FaultKind.BUSY, "n": FaultKind.LOSE_ANSWER, "j": FaultKind.JUNK}
        if key == "c":
            self.board.clear()
        elif key in simple:
            self.board.set(Fault(simple[key], once=once, cancels_only=cancels_only))
        elif key == "x":
            self.board.set(Fault(FaultKind.SILENT, once=False))
        elif key == "p":
            self._ask(
                AskNumber("ERROR BUSY to a share of requests, until cleared",
                          "The share of requests to refuse, above 0 and at most 1 (0.25 or 25%):", read_share,
                          value="0.5"),
                lambda share: Fault(FaultKind.BUSY, once=False, share=share, cancels_only=cancels_only),
            )
        elif key == "l":
            self._ask(
                AskNumber("Answer late", "Hold the answer back how many milliseconds?", read_milliseconds,
                          value="3000"),
                lambda ms: Fault(FaultKind.LATE, once=once, milliseconds=ms, cancels_only=cancels_only),
            )
        elif key == "s":
            below, above = max(1, self.t_char_ms // 2), self.t_char_ms * 2
            self._ask(
                AskNumber(
                    "Answer in two writes",
                    f"The gap between the two writes in milliseconds (T_CHAR is {self.t_char_ms} ms; "
                    "Tab to a preset):",
                    read_milliseconds,
                    value=str(below),
                    presets=(Preset(f"below T_CHAR: {below} ms", str(below)),
                             Preset(f"above T_CHAR: {above} ms", str(above))),
                ),
                lambda ms: Fault(FaultKind.SPLIT, once=once, milliseconds=ms, cancels_only=cancels_only),
            )
        self.show()

    def _ask(self, dialog: AskNumber, make: Callable[[float], Fault]) -> None:
        def set_it(value: float | None) -> None:
            if value is not None:
                self.board.set(make(value))
            self.show()

        self.app.push_screen(dialog, set_it)
