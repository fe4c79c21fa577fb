"""The plugin's first screen: asks for the supervisor PIN, then offers cancelling an appointment,
the history of cancellations and the technician's link screen (all behind that one PIN)."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult

from screens.appointment_list import load_appointments
from screens.history import HistoryScreen
from screens.keypad import BACK, ChoiceButton, Key, KeypadScreen
from screens.merchant import MerchantScreen
from screens.pin import PinScreen
from screens.prose import Prose
from screens.technician import TechnicianScreen
from terminal.catalogue import N_
from terminal.journal import JournalError
from terminal.plugin_api import PluginContext

# (digit, action, what it opens): lines of the menu, each its own on-screen key.
CHOICES = (
    ("1", "cancel", N_("home.cancel")),
    ("2", "history", N_("home.history")),
    ("3", "technician", N_("home.technician")),
)


# Every screen's stylesheet, read when the plugin opens: Textual parses all its CSS again each
# time a screen brings a stylesheet it has not seen, which would make each first visit stutter.
PLUGIN_CSS = sorted(path.name for path in Path(__file__).parent.glob("*.tcss"))


class HomeScreen(KeypadScreen):
    CSS_PATH = PLUGIN_CSS  # home.tcss and the stylesheets of the screens after it
    TITLE = N_("home.title")

    def __init__(self, context: PluginContext, *, ask_pin: bool = True) -> None:
        super().__init__(context)
        self.ask_pin = ask_pin
        self.unlocked = not ask_pin

    def body(self) -> ComposeResult:
        for digit, action, label in CHOICES:
            yield ChoiceButton(Key(digit, action), f"{digit} {self.t(label)}")
        yield Prose("", id="home-pending")

    def keys(self) -> list[Key]:
        if not self.unlocked:
            return []
        return [*(Key(digit, action) for digit, action, _label in CHOICES), BACK]

    def on_mount(self) -> None:
        if self.ask_pin:
            self.app.push_screen(PinScreen(self.context), self._pin_answered)
        self._show_pending()

    def on_screen_resume(self) -> None:
        if self.unlocked:
            self._show_pending()

    def _pin_answered(self, accepted: bool | None) -> None:
        if not accepted:
            self.dismiss()
            return
        self.unlocked = True
        self.refresh_keys()

    def _show_pending(self) -> None:
        # A local read of the journal: how many cancellations still wait for the host's word.
        try:
            pending = len(self.context.journal.unsettled())
        except JournalError as exc:
            text = self.t("journal.problem", error=str(exc))
        else:
            text = self.t("home.pending", count=pending) if pending else ""
        self.query_one("#home-pending", Prose).update(text)

    # -- keys

    def key_cancel(self) -> None:
        def confirmed(ok: bool | None) -> None:
            if ok:
                load_appointments(self.app, self.context)

        self.app.push_screen(MerchantScreen(self.context), confirmed)

    def key_history(self) -> None:
        self.app.push_screen(HistoryScreen(self.context))

    def key_technician(self) -> None:
        self.app.push_screen(TechnicianScreen(self.context))
