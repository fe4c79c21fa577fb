"""The supervisor PIN: six digits shown only as dots, checked off the UI thread (scrypt), with the
tries left after a wrong one and the time left while 5 wrong tries keep it locked."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable

from textual import work
from textual.app import ComposeResult

from screens.keypad import BACK, Key, KeyGrid, KeypadDialog, clock_of
from screens.messages import PinChecked
from screens.prose import Prose
from terminal.catalogue import N_, duration
from terminal.supervisor_pin import PIN_LENGTH, PinGate, PinOutcome

if TYPE_CHECKING:
    from textual.screen import Screen

    from terminal.plugin_api import PluginContext

MASK = "•"
EMPTY = "_"
PAD_ROWS = ("123", "456", "789", " 0 ")


class PinPad(KeyGrid):
    """The ten digit keys, 3 a row, drawn by one widget as the key bar is."""

    DEFAULT_CSS = """
    PinPad {
        height: auto;
    }
    """

    def _columns(self) -> int:
        return len(PAD_ROWS[0])

    def label_of(self, key: Key) -> str:
        assert key.arg is not None
        return key.arg


class PinScreen(KeypadDialog[bool]):
    """Dismisses True once the supervisor PIN is accepted, False on Esc. Given `then`, an accepted
    PIN is not dismissed but replaced by the screen `then` makes (the plugin's menu): the screen
    behind the PIN is built only once the PIN is accepted, and the one below is not shown again
    only to be covered at once."""

    CSS_PATH = "pin.tcss"
    TITLE = N_("pin.title")

    def __init__(self, context: PluginContext, *, then: Callable[[], Screen] | None = None) -> None:
        super().__init__(context)
        self.then = then
        self._digits = ""  # never shown, logged or kept after the check
        self._checking = False
        self._locked_for = 0
        self._unlock_at: datetime | None = None  # while locked: when the lockout should be over
        self._lockout_read = False  # the lockout file read since the screen opened
        self.gate: PinGate | None = None

    def body(self) -> ComposeResult:
        yield Prose(self.t("pin.prompt", length=PIN_LENGTH), id="pin-prompt")
        yield Prose(self._field_text(), id="pin-field")
        yield Prose("", id="pin-message")
        yield PinPad(
            (None if digit == " " else self._digit_key(digit) for row in PAD_ROWS for digit in row), id="pin-pad"
        )

    @staticmethod
    def _digit_key(digit: str) -> Key:
        return Key(digit, "digit", arg=digit)

    def keys(self) -> list[Key]:
        if self._checking:
            return [BACK]
        if self._locked_for:
            return [BACK]
        return [
            *(self._digit_key(d) for d in "0123456789"),
            Key("enter", "submit", N_("key.confirm")),
            Key("backspace", "clear", N_("key.clear")),
            BACK,
        ]

    def on_mount(self) -> None:
        self.gate = PinGate(
            self.context.pin_lockout, self.context.config.terminal.supervisor_pin_hash, clock_of(self)
        )
        self._update_lock()
        self.set_interval(1.0, self._update_lock)

    # -- keys

    def key_digit(self, digit: str) -> None:
        if len(self._digits) < PIN_LENGTH:
            self._digits += digit
            self._show_field()
            self._say("")

    def key_clear(self) -> None:
        self._digits = self._digits[:-1]
        self._show_field()

    def key_submit(self) -> None:
        if len(self._digits) != PIN_LENGTH:
            self._say(self.t("pin.too_short", length=PIN_LENGTH))
            return
        pin, self._digits = self._digits, ""
        self._checking = True
        self._show_field()
        self._say(self.t("pin.checking"))
        self.refresh_keys()
        self._check(pin)

    def key_back(self) -> None:
        self._digits = ""
        self.dismiss(False)

    # -- the check, off the UI thread

    # A fixed description: by default Textual describes a worker by its arguments' reprs, and
    # logs the description, which would put the PIN in the log.
    @work(thread=True, exclusive=True, group="pin", description="checking the supervisor PIN")
    def _check(self, pin: str) -> None:
        assert self.gate is not None
        try:
            check = self.gate.check(pin)
        except Exception as exc:  # noqa: BLE001 - a journal failure is shown, not a crash
            self.post_message(PinChecked(None, error=str(exc)))
            return
        self.post_message(PinChecked(check))

    def on_pin_checked(self, message: PinChecked) -> None:
        self._checking = False
        check = message.check
        if check is None:
            self._say(self.t("pin.error", error=message.error or ""))
        elif check.ok:
            if self.then is None:
                self.dismiss(True)
            else:
                self.app.switch_screen(self.then())
            return
        elif check.outcome is PinOutcome.WRONG:
            self._say(self.t("pin.wrong", tries=check.tries_left))
        else:
            self._locked_for = check.locked_seconds
            self._unlock_at = clock_of(self)() + timedelta(seconds=self._locked_for)
            self._show_lock()
        self.refresh_keys()

    # -- showing

    def _field_text(self) -> str:
        return " ".join(MASK if i < len(self._digits) else EMPTY for i in range(PIN_LENGTH))

    def _show_field(self) -> None:
        self.query_one("#pin-field", Prose).update(self._field_text())

    def _say(self, text: str) -> None:
        self.query_one("#pin-message", Prose).update(text)

    def _update_lock(self) -> None:
        """Each second: the lockout's countdown. Only this screen's checks start a lockout (one
        process keeps the journal), so its file is read when the screen opens and when a lockout
        should be over, not every second on the UI thread."""
        if self.gate is None or self._checking:
            return
        was_locked = bool(self._locked_for)
        now = clock_of(self)()
        if was_locked and self._unlock_at is not None and now < self._unlock_at:
            self._locked_for = max(1, math.ceil((self._unlock_at - now).total_seconds()))
        elif was_locked or not self._lockout_read:
            self._lockout_read = True
            self._locked_for = self.gate.locked_seconds(now)
            self._unlock_at = now + timedelta(seconds=self._locked_for) if self._locked_for else None
        else:
            return  # not locked, and only a check here can lock it
        if self._locked_for:
            self._show_lock()
        elif was_locked:
            self._say(self.t("pin.unlocked"))
        if was_locked != bool(self._locked_for):
            self.set_class(bool(self._locked_for), "-locked")
            self.refresh_keys()

    def _show_lock(self) -> None:
        self._digits = ""
        self._show_field()
        self.set_class(True, "-locked")
        self._say(self.t("pin.locked", time=duration(self._locked_for, self.locale)))
