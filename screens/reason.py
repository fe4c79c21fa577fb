"""Why the merchant cancels: one digit for one of the protocol's reasons (1-4, 9)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from textual.app import ComposeResult

from protocol.enums import Reason
from screens.confirm import ConfirmScreen
from screens.keypad import BACK, ChoiceButton, Key, KeypadScreen
from screens.prose import Prose
from terminal.catalogue import N_, reason_name

if TYPE_CHECKING:
    from protocol import Appointment
    from terminal.plugin_api import PluginContext


class ReasonScreen(KeypadScreen):
    CSS_PATH = "reason.tcss"
    TITLE = N_("reason.title")

    def __init__(self, context: PluginContext, appointment: Appointment, finish: Callable[[], None]) -> None:
        super().__init__(context)
        self.appointment = appointment
        self.finish = finish

    @staticmethod
    def _key(reason: Reason) -> Key:
        return Key(str(int(reason)), "pick", arg=str(int(reason)))

    def body(self) -> ComposeResult:
        yield Prose(self.t("reason.prompt"), id="reason-prompt")
        for reason in Reason:
            yield ChoiceButton(self._key(reason), f"{int(reason)} {reason_name(reason, self.locale)}")

    def keys(self) -> list[Key]:
        return [*(self._key(reason) for reason in Reason), BACK]

    def key_pick(self, code: str) -> None:
        self.app.push_screen(ConfirmScreen(self.context, self.appointment, Reason(int(code)), self.finish))
