"""The merchant and terminal numbers from the config, for the merchant to check before the
terminal asks the host for the shop's appointments."""

from __future__ import annotations

from textual.app import ComposeResult

from screens.field_table import FieldTable
from screens.keypad import BACK, Key, KeypadDialog
from screens.prose import Prose
from terminal.catalogue import N_


class MerchantScreen(KeypadDialog[bool]):
    """Dismisses True when the merchant confirms the numbers with Enter, False on Esc."""

    CSS_PATH = "merchant.tcss"
    TITLE = N_("merchant.title")

    def body(self) -> ComposeResult:
        terminal = self.context.config.terminal
        yield FieldTable(
            [
                (self.t("merchant.merchant_id"), terminal.merchant_id),
                (self.t("merchant.tid"), terminal.tid),
            ],
            id="merchant-numbers",
        )
        yield Prose(self.t("merchant.check"), id="merchant-check")

    def keys(self) -> list[Key]:
        return [Key("enter", "confirm", N_("key.confirm")), BACK]

    def key_confirm(self) -> None:
        self.dismiss(True)

    def key_back(self) -> None:
        self.dismiss(False)
