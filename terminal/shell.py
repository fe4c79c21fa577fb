"""The standalone POS shell: a main menu of the installed plugins (a digit opens one), the date and
time, and the training banner. It knows nothing of what a plugin does; a plugin gets the
PluginContext and pushes its own screens, and the shell's menu is there again when they are gone."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

from textual import events
from textual.app import App, ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Static

from terminal.plugin_api import Plugin, PluginContext, discover_plugins

log = logging.getLogger("pos_terminal.shell")

# The shell's own few words; the plugins bring theirs.
TEXT: dict[str, dict[str, str]] = {
    "title": {"zh_CN": "POS 终端", "en": "POS terminal"},
    "terminal": {"zh_CN": "终端 {tid}", "en": "Terminal {tid}"},
    "choose": {"zh_CN": "按数字键选择功能", "en": "Press a digit to choose"},
    "none": {"zh_CN": "没有安装任何功能", "en": "No function is installed"},
    "training": {
        "zh_CN": "培训模式 TRAINING：练习用，不是真实交易",
        "en": "TRAINING 培训模式: practice only",
    },
    "failed": {
        "zh_CN": "{name} 无法打开：{error}",
        "en": "{name} could not open: {error}",
    },
}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def text(key: str, locale: str, **fmt: object) -> str:
    texts = TEXT[key]
    value = texts.get(locale) or texts["zh_CN"]
    return value.format(**fmt) if fmt else value


def clock_text(now: datetime, locale: str) -> str:
    if locale == "en":
        return f"{now.day} {_MONTHS_EN[now.month - 1]} {now.year} {now:%H:%M}"
    return f"{now.year}年{now.month}月{now.day}日 {now:%H:%M}"


class MenuButton(Button, can_focus=False):
    """A plugin's line in the menu; its digit presses it (as a touch would)."""

    def __init__(self, plugin: Plugin, locale: str) -> None:
        super().__init__(f"{plugin.entry.key} {plugin.entry.label(locale)}", compact=True)
        self.plugin = plugin


class MenuScreen(Screen[None]):
    def __init__(self, context: PluginContext, plugins: list[Plugin]) -> None:
        super().__init__()
        self.context = context
        self.plugins = plugins

    def compose(self) -> ComposeResult:
        locale = self.context.locale
        if self.context.training:
            yield Static(text("training", locale), id="shell-training", markup=False)
        with Horizontal(id="shell-title"):
            yield Static(text("title", locale), id="shell-name", markup=False)
            yield Static("", id="shell-clock", markup=False)
        with VerticalScroll(id="shell-menu", can_focus=False):
            yield Static(
                text("terminal", locale, tid=self.context.config.terminal.tid), id="shell-tid", markup=False
            )
            for plugin in self.plugins:
                yield MenuButton(plugin, locale)
            if not self.plugins:
                yield Static(text("none", locale), markup=False)
        yield Static(text("choose", locale), id="shell-hint", markup=False)

    def on_mount(self) -> None:
        self._tick()
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        now = self.app.clock()  # type: ignore[attr-defined]
        self.query_one("#shell-clock", Static).update(clock_text(now, self.context.locale))

    def on_key(self, event: events.Key) -> None:
        for button in self.query(MenuButton):
            if button.plugin.entry.key == event.key:
                event.stop()
                button.press()
                return

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if isinstance(event.button, MenuButton):
            event.stop()
            self._open(event.button.plugin)

    def _open(self, plugin: Plugin) -> None:
        try:
            screen = plugin.first_screen(self.context)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not take the shell down
            log.exception("plugin %s", plugin.name)
            self.notify(
                text("failed", self.context.locale, name=plugin.entry.label(self.context.locale), error=exc),
                severity="error",
            )
            return
        self.app.push_screen(screen)


class ShellApp(App[None]):
    ENABLE_COMMAND_PALETTE = False
    CSS = """
    MenuScreen #shell-training {
        width: 100%;
        background: $warning;
        color: $text;
        text-style: bold;
        text-align: center;
    }
    MenuScreen #shell-title {
        height: 1;
        background: $primary;
        color: $text;
        text-style: bold;
        padding: 0 1;
    }
    MenuScreen #shell-name {
        width: 1fr;
    }
    MenuScreen #shell-clock {
        width: auto;
    }
    MenuScreen #shell-menu {
        height: 1fr;
        padding: 1 1 0 1;
    }
    MenuScreen #shell-tid {
        color: $text-muted;
        margin: 0 0 1 0;
    }
    MenuScreen MenuButton {
        width: 100%;
        min-width: 0;
        content-align: left middle;
        text-align: left;
        background: $background;
    }
    MenuScreen #shell-hint {
        height: 1;
        padding: 0 1;
        background: $panel;
    }
    """

    def __init__(
        self, context: PluginContext, plugins: list[Plugin], clock: Callable[[], datetime] = datetime.now
    ) -> None:
        super().__init__()
        self.context = context
        self.plugins = plugins
        # Screens ask the app for the time, so that tests can hold it still.
        self.clock = clock
        self.title = text("title", context.locale)

    def get_default_screen(self) -> Screen:
        return MenuScreen(self.context, self.plugins)


def build_app(
    context: PluginContext,
    plugins: list[Plugin] | None = None,
    *,
    clock: Callable[[], datetime] = datetime.now,
) -> ShellApp:
    """The shell for this terminal. `plugins` defaults to the installed ones (entry points)."""
    found = discover_plugins() if plugins is None else sorted(plugins, key=lambda p: p.entry.key)
    return ShellApp(context, found, clock)
