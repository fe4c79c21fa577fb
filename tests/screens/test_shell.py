"""The standalone shell: its menu lists the installed plugins (found through the entry point),
a digit opens one, the clock and the locale come from outside, and in training mode every screen
says so."""

from __future__ import annotations

import threading
from typing import Callable

import pytest
from textual.css.stylesheet import StylesheetParseError

from textual.app import App
from textual.screen import Screen
from textual.widgets import Static

from screens.appointment_list import AppointmentListScreen
from screens.confirm import ConfirmScreen
from screens.details import DetailsScreen
from screens.history import HistoryScreen
from screens.home import HomeScreen
from screens.merchant import MerchantScreen
from screens.pin import PinScreen
from screens.plugin import cancel_appointment_plugin
from screens.reason import ReasonScreen
from screens.result import ResultScreen
from screens.technician import TechnicianScreen
from screens.voucher_view import VoucherScreen
from terminal.plugin_api import MenuEntry, Plugin, discover_plugins
from terminal.shell import MenuScreen, TerminalOpening, build_app
from tests.screens.pilot_steps import PIN, enter_pin, press, run, screen_text, wait_for_screen, wait_for_text, wait_until
from tests.screens.scripted_client import FREE


def test_the_clock_moves_on_with_the_minute(make_app) -> None:
    from datetime import timedelta

    app = make_app()
    start = app.clock()
    now = [start]
    app.clock = lambda: now[0]

    async def scenario(pilot) -> None:
        assert "09:30" in screen_text(pilot.app.screen)
        now[0] = start + timedelta(minutes=1)
        await wait_until(pilot, lambda: "09:31" in screen_text(pilot.app.screen), "the clock at 09:31")

    run(app, scenario)


def test_the_plugin_is_found_through_its_entry_point() -> None:
    assert cancel_appointment_plugin in discover_plugins()


def test_the_menu_shows_the_plugins_the_date_and_time(make_app) -> None:
    async def scenario(pilot) -> None:
        text = screen_text(pilot.app.screen)
        assert "1 取消预约" in text and "2026年11月27日 09:30" in text and "TEST0001" in text
        assert "培训模式" not in text

    run(make_app(), scenario)

    async def english(pilot) -> None:
        text = screen_text(pilot.app.screen)
        assert "1 Cancel appointment" in text and "27 Nov 2026 09:30" in text

    run(make_app("en"), english)


class HelloScreen(Screen[None]):
    def compose(self):
        yield Static("hello from another plugin")

    def on_key(self, event) -> None:
        if event.key == "escape":
            self.dismiss()


def menu_works_and_the_plugin_fails_when_opened(make_app, plugin: Plugin, read_ahead: Callable[[App], bool]) -> None:
    """The menu comes up with `plugin` in it and `read_ahead(app)` true of its stylesheet; its
    digit then ends the app with the stylesheet error, as a bad screen did before read-ahead."""
    app = build_app(make_app().context, [plugin], clock=make_app().clock)
    menu_worked = []

    async def scenario(pilot) -> None:
        assert f"2 {plugin.entry.label('zh_CN')}" in screen_text(pilot.app.screen)
        assert read_ahead(pilot.app)
        menu_worked.append(True)
        await press(pilot, "2")

    with pytest.raises(StylesheetParseError):
        run(app, scenario)
    assert menu_worked


def test_a_plugin_whose_css_is_bad_fails_only_when_its_screen_opens(make_app, tmp_path) -> None:
    bad = tmp_path / "bad.tcss"
    bad.write_text("StyledScreen { colour: red; }\n", encoding="utf-8")

    class StyledScreen(HelloScreen):
        CSS_PATH = str(bad)

    plugin = Plugin(
        "styled", MenuEntry("2", {"zh_CN": "样式", "en": "Styled"}), lambda _context: StyledScreen(),
        widget_classes=lambda: [StyledScreen],
    )
    # The read-ahead met the bad CSS and did not keep the file as read.
    menu_works_and_the_plugin_fails_when_opened(
        make_app, plugin, lambda app: not app.stylesheet.has_source(str(bad), "")
    )


def test_a_plugin_widget_whose_default_css_is_bad_fails_only_when_it_is_mounted(make_app) -> None:
    class BadWidget(Static):
        DEFAULT_CSS = "BadWidget { colour: red; }"

    class BadWidgetScreen(HelloScreen):
        def compose(self):
            yield BadWidget("bad")

    plugin = Plugin(
        "widgets", MenuEntry("2", {"zh_CN": "部件", "en": "Widgets"}), lambda _context: BadWidgetScreen(),
        widget_classes=lambda: [BadWidget],
    )
    menu_works_and_the_plugin_fails_when_opened(
        make_app, plugin, lambda app: not any("BadWidget" in where for _path, where in app.stylesheet.source)
    )


def test_the_shell_runs_any_plugin_and_survives_a_broken_one(make_app) -> None:
    context = make_app().context

    def broken(_context):
        raise RuntimeError("no screen today")

    plugins = [
        Plugin("hello", MenuEntry("2", {"zh_CN": "你好", "en": "Hello"}), lambda _context: HelloScreen()),
        Plugin("broken", MenuEntry("3", {"zh_CN": "坏的", "en": "Broken"}), broken),
    ]
    app = build_app(context, plugins, clock=make_app().clock)

    async def scenario(pilot) -> None:
        assert "2 你好" in screen_text(pilot.app.screen) and "取消预约" not in screen_text(pilot.app.screen)
        await press(pilot, "3")
        assert isinstance(pilot.app.screen, MenuScreen)  # still here
        await press(pilot, "2")
        await wait_for_screen(pilot, HelloScreen)
        await press(pilot, "escape")
        await wait_for_screen(pilot, MenuScreen)

    run(app, scenario)


def test_training_mode_is_marked_on_every_screen(make_app) -> None:
    seen: list[str] = []

    async def check(pilot, kind: type[Screen]) -> None:
        screen = await wait_for_screen(pilot, kind)
        assert "培训模式" in screen_text(screen), kind.__name__
        seen.append(kind.__name__)

    async def scenario(pilot) -> None:
        await check(pilot, MenuScreen)
        await press(pilot, "1")
        await check(pilot, PinScreen)
        await enter_pin(pilot, PIN)
        await check(pilot, HomeScreen)
        await press(pilot, "1")
        await check(pilot, MerchantScreen)
        await press(pilot, "enter")
        listing = await wait_for_screen(pilot, AppointmentListScreen)
        await check(pilot, AppointmentListScreen)
        await press(pilot, str([a.appt_id for a in listing.appointments].index(FREE.appt_id) + 1))
        await check(pilot, DetailsScreen)
        await press(pilot, "enter")
        await check(pilot, ReasonScreen)
        await press(pilot, "1")
        await check(pilot, ConfirmScreen)
        await press(pilot, "enter")
        await check(pilot, ResultScreen)
        await press(pilot, "enter", "escape")
        await wait_for_screen(pilot, HomeScreen)
        await press(pilot, "2")
        await check(pilot, HistoryScreen)
        await press(pilot, "enter")
        await check(pilot, VoucherScreen)
        await press(pilot, "escape", "escape", "3")
        await check(pilot, TechnicianScreen)

    run(make_app(training=True), scenario)
    assert len(seen) == 12


def test_the_menu_is_painted_before_the_terminal_is_open_and_a_digit_waits_for_it(make_app) -> None:
    context = make_app().context
    may_open = threading.Event()
    opened = []

    def open_terminal():
        assert may_open.wait(10)
        opened.append(context)
        return context

    app = build_app(
        TerminalOpening(context.config, "zh_CN", False, open_terminal), clock=make_app().clock
    )

    async def scenario(pilot) -> None:
        assert "1 取消预约" in screen_text(pilot.app.screen) and "TEST0001" in screen_text(pilot.app.screen)
        await press(pilot, "1")  # before the terminal is open
        assert isinstance(pilot.app.screen, MenuScreen)
        may_open.set()
        await wait_for_screen(pilot, PinScreen)
        assert pilot.app.context is context

    run(app, scenario)
    app.wait_opened(10)
    assert opened == [context]


def test_a_terminal_that_cannot_be_opened_ends_the_app_with_the_reason(make_app) -> None:
    context = make_app().context

    def open_terminal():
        raise OSError("no pty today")

    app = build_app(TerminalOpening(context.config, "zh_CN", False, open_terminal), clock=make_app().clock)

    async def scenario(pilot) -> None:
        await wait_until(pilot, lambda: app.opening_error is not None, "the opening failed")

    run(app, scenario)
    assert isinstance(app.opening_error, OSError)


def test_a_plugin_that_cannot_be_loaded_is_named_on_the_menu_and_the_others_work(make_app, monkeypatch) -> None:
    from importlib.metadata import EntryPoint

    import terminal.plugin_api

    installed = list(terminal.plugin_api.entry_points(group=terminal.plugin_api.ENTRY_POINT_GROUP))
    broken = [
        EntryPoint("loyalty", "no_such_vendor_module:plugin", terminal.plugin_api.ENTRY_POINT_GROUP),
        EntryPoint("clock", "os:getcwd", terminal.plugin_api.ENTRY_POINT_GROUP),
    ]
    monkeypatch.setattr(terminal.plugin_api, "entry_points", lambda group: [*broken, *installed])

    async def scenario(pilot) -> None:
        text = screen_text(pilot.app.screen)
        assert "1 取消预约" in text
        assert "功能 loyalty 无法加载" in text and "no_such_vendor_module" in text
        assert "功能 clock 无法加载" in text and "not a terminal.plugin_api.Plugin" in text
        await press(pilot, "1")
        await wait_for_text(pilot, "主管密码")  # the plugin that loads still works

    run(make_app(), scenario)
