"""The plugin's menu, shown once the supervisor PIN is accepted (the PIN screen is the plugin's
first screen): cancelling an appointment, the history of cancellations and the technician's link
screen, all behind that one PIN."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult

from screens.appointment_list import load_appointments
from screens.history import HistoryScreen
from screens.keypad import BACK, ChoiceButton, Key, KeypadScreen
from screens.merchant import MerchantScreen
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

    def __init__(self, context: PluginContext) -> None:
        super().__init__(context)
        self._shown = False

    def body(self) -> ComposeResult:
        for digit, action, label in CHOICES:
            yield ChoiceButton(Key(digit, action), f"{digit} {self.t(label)}")
        yield Prose(self._pending_text(), id="home-pending")

    def keys(self) -> list[Key]:
        return [*(Key(digit, action) for digit, action, _label in CHOICES), BACK]

    def on_screen_resume(self) -> None:
        # Back from a step of the flow: the count may have changed (read in body() the first time).
        if self._shown:
            self.query_one("#home-pending", Prose).update(self._pending_text())
        self._shown = True

    def _pending_text(self) -> str:
        # A local read of the journal: how many cancellations still wait for the host's word.
        try:
            pending = len(self.context.journal.unsettled())
        except JournalError as exc:
            return self.t("journal.problem", error=str(exc))
        return self.t("home.pending", count=pending) if pending else ""

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
