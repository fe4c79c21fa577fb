"""The plugin as the shell finds it (entry point `pos_terminal.plugins: cancel_appointment`).
The shell's menu needs only its entry: the screens load when the shell prepares the plugin, after
the menu is painted, or at the latest when the plugin is opened."""

from __future__ import annotations

from typing import TYPE_CHECKING

from terminal.catalogue import LOCALES, t
from terminal.plugin_api import MenuEntry, Plugin, PluginContext

if TYPE_CHECKING:
    from screens.pin import PinScreen


def prepare() -> None:
    import screens.home  # noqa: F401 - and with it every screen of the flow


def widget_classes() -> list[type]:
    """The screens and the widget classes they mount: those defined in screens/ and the Textual
    widgets they use as they are."""
    import screens.home  # noqa: F401 - and with it every screen module
    from textual.widget import Widget
    from textual.widgets import Digits, OptionList, Static

    found, pending = [], [Widget]
    while pending:
        for subclass in pending.pop().__subclasses__():
            pending.append(subclass)
            if subclass.__module__.startswith("screens."):
                found.append(subclass)
    return [*found, Digits, OptionList, Static]


def first_screen(context: PluginContext) -> PinScreen:
    """The supervisor PIN, replaced by the plugin's menu once it is accepted."""
    from screens.home import HomeScreen
    from screens.pin import PinScreen

    return PinScreen(context, then=lambda: HomeScreen(context))


cancel_appointment_plugin = Plugin(
    name="cancel_appointment",
    entry=MenuEntry("1", {locale: t("home.title", locale) for locale in LOCALES}),
    first_screen=first_screen,
    prepare=prepare,
    widget_classes=widget_classes,
)
