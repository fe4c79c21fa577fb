"""The standalone POS shell: a main menu of the installed plugins (a digit opens one), the date and
time, and the training banner. It knows nothing of what a plugin does; a plugin gets the
PluginContext and pushes its own screens, and the shell's menu is there again when they are gone.

The menu can be painted before the terminal is open (TerminalOpening): the shell then opens it,
and prepares the plugins, on a thread of its own once the menu is on the screen, and a digit
pressed meanwhile opens its plugin as soon as the terminal is ready."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Callable

from textual import constants, events
from textual.app import App, ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.css.stylesheet import Stylesheet
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Static

from terminal.catalogue import date_time, t
from terminal.plugin_api import BrokenPlugin, Plugin, PluginContext, discover_plugins
from terminal.textual_private import css_path_files, default_css

if TYPE_CHECKING:
    from textual.driver import Driver

    from terminal.config import TerminalConfig

log = logging.getLogger("pos_terminal.shell")


@dataclass(frozen=True)
class TerminalOpening:
    """A terminal still to be opened: what the menu shows meanwhile (the config as it will run,
    its language, training or not), and `open`, which opens the terminal's services and returns
    the PluginContext. `open` runs off the UI thread, after the menu is painted."""

    config: TerminalConfig
    locale: str
    training: bool
    open: Callable[[], PluginContext]
    # Called on that thread once the terminal is open and the plugins are prepared: all that the
    # app loads at start is loaded.
    loaded: Callable[[], None] | None = None


class TerminalOpened(Message):
    """From the opening thread: the PluginContext, or why the terminal could not be opened."""

    def __init__(self, context: PluginContext | None, error: BaseException | None = None) -> None:
        super().__init__()
        self.context = context
        self.error = error


class MenuButton(Button, can_focus=False):
    """A plugin's line in the menu; its digit presses it (as a touch would)."""

    def __init__(self, plugin: Plugin, locale: str) -> None:
        super().__init__(f"{plugin.entry.key} {plugin.entry.label(locale)}", compact=True)
        self.plugin = plugin

    def update_node_styles(self, animate: bool = True) -> None:
        # Button.__init__ sets classes, and Textual restyles the button for each, mounted or not;
        # one not yet in the DOM is styled when it is mounted.
        if self.is_attached:
            super().update_node_styles(animate)


class MenuScreen(Screen[None]):
    def __init__(
        self, context: PluginContext | TerminalOpening, plugins: list[Plugin], broken: list[BrokenPlugin]
    ) -> None:
        super().__init__()
        self.context = context
        self.plugins = plugins
        self.broken = broken
        self._chosen: Plugin | None = None  # pressed before the terminal was open
        self._clock_shown = ""

    def compose(self) -> ComposeResult:
        locale = self.context.locale
        if self.context.training:
            yield Static(t("shell.training", locale), id="shell-training", markup=False)
        with Horizontal(id="shell-title"):
            yield Static(t("shell.title", locale), id="shell-name", markup=False)
            yield Static("", id="shell-clock", markup=False)
        with VerticalScroll(id="shell-menu", can_focus=False):
            yield Static(
                t("shell.terminal", locale, tid=self.context.config.terminal.tid), id="shell-tid", markup=False
            )
            for plugin in self.plugins:
                yield MenuButton(plugin, locale)
            if not self.plugins:
                yield Static(t("shell.none", locale), markup=False)
            for plugin in self.broken:
                yield Static(t("shell.broken", locale, name=plugin.name, problem=plugin.problem),
                             classes="shell-broken", markup=False)
        yield Static(t("shell.choose", locale), id="shell-hint", markup=False)

    def on_mount(self) -> None:
        self._tick()
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        # Asked every second, shown to the minute: a Static's update lays the screen out again,
        # so only a new minute is drawn.
        shown = date_time(self.app.clock(), self.context.locale)  # type: ignore[attr-defined]
        if shown != self._clock_shown:
            self._clock_shown = shown
            self.query_one("#shell-clock", Static).update(shown)

    def on_key(self, event: events.Key) -> None:
        # The plugin opens at once: the pressed look a touch gives its line would be restyled and
        # drawn under the plugin's first screen, and hold that screen back.
        for plugin in self.plugins:
            if plugin.entry.key == event.key:
                event.stop()
                self._open(plugin)
                return

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if isinstance(event.button, MenuButton):
            event.stop()
            self._open(event.button.plugin)

    def terminal_opened(self, context: PluginContext) -> None:
        self.context = context
        chosen, self._chosen = self._chosen, None
        if chosen is not None:
            self._open(chosen)

    def _open(self, plugin: Plugin) -> None:
        if not isinstance(self.context, PluginContext):
            self._chosen = plugin  # opened by terminal_opened()
            return
        try:
            screen = plugin.first_screen(self.context)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not take the shell down
            log.exception("plugin %s", plugin.name)
            self.notify(
                t("shell.failed", self.context.locale, name=plugin.entry.label(self.context.locale), error=exc),
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
    MenuScreen .shell-broken {
        color: $error;
        margin: 1 0 0 0;
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
        self,
        context: PluginContext | TerminalOpening,
        plugins: list[Plugin],
        clock: Callable[[], datetime] = datetime.now,
        broken: list[BrokenPlugin] | None = None,
    ) -> None:
        super().__init__()
        self.context = context  # a TerminalOpening until the terminal is open
        self.plugins = plugins
        self.broken = broken or []
        # Screens ask the app for the time, so that tests can hold it still.
        self.clock = clock
        self.title = t("shell.title", context.locale)
        self.opening_error: BaseException | None = None
        self._opening: threading.Thread | None = None

    def get_driver_class(self) -> type[Driver]:
        driver_class = super().get_driver_class()
        # Textual's own choice on Linux; not when TEXTUAL_DRIVER names one (even LinuxDriver).
        if constants.DRIVER is None and driver_class.__name__ == "LinuxDriver":
            from terminal.escape_key_driver import PromptEscapeDriver

            return PromptEscapeDriver
        return driver_class

    def get_default_screen(self) -> Screen:
        return MenuScreen(self.context, self.plugins, self.broken)

    def on_ready(self) -> None:
        # The first frame is on the screen: what the menu did not need is opened now.
        if not isinstance(self.context, TerminalOpening):
            self._read_plugin_stylesheets()
        else:
            self._opening = threading.Thread(
                target=self._open_terminal, args=(self.context,), name="open-terminal", daemon=True
            )
            self._opening.start()

    def wait_opened(self, timeout: float | None = None) -> None:
        """Wait for the opening thread (after run(): whatever it opened is then there to close)."""
        if self._opening is not None:
            self._opening.join(timeout)

    def _open_terminal(self, opening: TerminalOpening) -> None:
        try:
            opened = TerminalOpened(opening.open())
        except BaseException as exc:  # noqa: BLE001 - reported by the app, then by whoever ran it
            opened = TerminalOpened(None, exc)
        else:
            for plugin in self.plugins:
                if plugin.prepare is not None:
                    try:
                        plugin.prepare()
                    except Exception:  # noqa: BLE001 - it fails again, and says so, when opened
                        log.exception("preparing plugin %s", plugin.name)
            if opening.loaded is not None:
                opening.loaded()
        try:
            self.post_message(opened)
        except RuntimeError:
            pass  # the app has already ended (quit while the terminal was opening)

    def on_terminal_opened(self, message: TerminalOpened) -> None:
        if message.context is None:
            # Nothing works without the terminal: leave, and let whoever ran the app say why.
            self.opening_error = message.error
            self.exit()
            return
        self.context = message.context
        self._read_plugin_stylesheets()
        for screen in self.screen_stack:
            if isinstance(screen, MenuScreen):
                screen.terminal_opened(message.context)

    def _read_plugin_stylesheets(self) -> None:
        """The CSS of the plugins' widget classes (their DEFAULT_CSS and, for screens, the files
        of their CSS_PATH) read and parsed together, once, while only the menu is up. A screen's
        first push then finds its CSS already there (Textual checks has_source) and its widgets'
        too (add_source of the same CSS is a no-op), instead of re-parsing and re-sorting every
        rule in the middle of a key: without it (bench/screens.py, 80x24, three runs each way)
        the PIN screen's first push took 190-250 ms instead of 95-120."""
        stylesheet = self.stylesheet
        try:
            sources = [
                source
                for plugin in self.plugins
                for cls in (plugin.widget_classes() if plugin.widget_classes else ())
                for source in css_sources(cls)
            ]
            # Parsed apart first: CSS that does not parse is left for its screen to read when it
            # is pushed, and to fail then, saying why, as it would have without this.
            trial = Stylesheet(variables=self.get_css_variables())
            for css, read_from, is_default, tie_breaker, scope in sources:
                trial.add_source(css, read_from=read_from, is_default_css=is_default, tie_breaker=tie_breaker, scope=scope)
            trial.parse()
        except Exception:  # noqa: BLE001 - a plugin's bad CSS or list must not take the menu down
            log.exception("reading the plugins' stylesheets ahead")
            return
        new = {source[1]: source for source in sources if source[1] not in stylesheet.source}
        if not new:
            return
        for css, read_from, is_default, tie_breaker, scope in new.values():
            stylesheet.add_source(css, read_from=read_from, is_default_css=is_default, tie_breaker=tie_breaker, scope=scope)
        stylesheet.reparse()
        stylesheet.update(self)


def css_sources(cls: type) -> list[tuple[str, tuple[str, str], bool, int, str]]:
    """(css, read_from, is_default_css, tie_breaker, scope) for what Textual adds to the app's
    stylesheet for a widget class: its DEFAULT_CSS when the first one is registered, and for a
    screen the files of its CSS_PATH when it is first pushed, under the same keys
    (tests/screens/test_cancel_flow.py sees that nothing is added later)."""
    sources = [
        (css, read_from, True, tie_breaker, scope) for read_from, css, tie_breaker, scope in default_css(cls)
    ]
    if issubclass(cls, Screen):
        for path in css_path_files(cls):
            sources.append((path.read_text(encoding="utf-8"), (str(path), ""), False, 0, ""))
    return sources


def build_app(
    context: PluginContext | TerminalOpening,
    plugins: list[Plugin] | None = None,
    *,
    clock: Callable[[], datetime] = datetime.now,
) -> ShellApp:
    """The shell for this terminal, open or to be opened once the menu is painted. `plugins`
    defaults to the installed ones (entry points)."""
    broken: list[BrokenPlugin] = []
    found = discover_plugins(broken) if plugins is None else sorted(plugins, key=lambda p: p.entry.key)
    return ShellApp(context, found, clock, broken)
