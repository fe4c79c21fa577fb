"""The host lists no appointment for this shop: say so, and offer to ask again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from textual.app import ComposeResult

from screens.keypad import BACK, Key, KeypadScreen
from screens.prose import Prose
from terminal.catalogue import N_

if TYPE_CHECKING:
    from terminal.plugin_api import PluginContext


class EmptyListScreen(KeypadScreen):
    CSS_PATH = "empty_list.tcss"
    TITLE = N_("empty.title")

    def __init__(self, context: PluginContext, retry: Callable[[], None]) -> None:
        super().__init__(context)
        self.retry = retry

    def body(self) -> ComposeResult:
        yield Prose(self.t("empty.what"), id="empty-what")
        yield Prose(self.t("empty.todo"), id="empty-todo")

    def keys(self) -> list[Key]:
        return [Key("enter", "refresh", N_("key.refresh")), BACK]

    def key_refresh(self) -> None:
        self.dismiss()
        self.retry()
