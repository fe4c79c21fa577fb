"""The plugin as the shell finds it (entry point `pos_terminal.plugins: cancel_appointment`)."""

from __future__ import annotations

from screens.home import HomeScreen
from terminal.plugin_api import MenuEntry, Plugin, PluginContext


def first_screen(context: PluginContext) -> HomeScreen:
    return HomeScreen(context)


cancel_appointment_plugin = Plugin(
    name="cancel_appointment",
    entry=MenuEntry("1", {"zh_CN": "取消预约", "en": "Cancel appointment"}),
    first_screen=first_screen,
)
