"""The supervisor PIN in front of the plugin: masked, tries left after a wrong one, locked for 5
minutes after 5 wrong ones, and still locked when the app is built again on the same journal."""

from __future__ import annotations

from datetime import timedelta

from screens.home import HomeScreen
from screens.pin import PinScreen
from screens.technician import TechnicianScreen
from terminal.pin_lockout import PinLockout
from terminal.shell import MenuScreen
from tests.screens.pilot_steps import PIN, enter_pin, press, run, screen_text, wait_for_screen, wait_for_text
from tests.screens.scripted_client import NOW

WRONG = "000000"


async def to_pin(pilot) -> PinScreen:
    await press(pilot, "1")
    return await wait_for_screen(pilot, PinScreen)


def test_the_pin_shows_only_dots_and_opens_the_plugin(make_app) -> None:
    async def scenario(pilot) -> None:
        pin = await to_pin(pilot)
        await press(pilot, *PIN[:4])
        text = screen_text(pin)
        assert "• • • • _ _" in text
        await press(pilot, "backspace")
        assert "• • • _ _ _" in screen_text(pin)
        await press(pilot, "enter")  # too short: not checked
        await wait_for_text(pilot, "密码是 6 位数字")
        await press(pilot, *PIN[3:], "enter")
        await wait_for_screen(pilot, HomeScreen)
        assert [type(screen) for screen in pilot.app.screen_stack] == [MenuScreen, HomeScreen]
        # The technician screen is behind the same PIN.
        await press(pilot, "3")
        await wait_for_screen(pilot, TechnicianScreen)

    run(make_app(), scenario)


def test_a_wrong_pin_says_how_many_tries_are_left(make_app) -> None:
    async def scenario(pilot) -> None:
        await to_pin(pilot)
        await enter_pin(pilot, WRONG)
        await wait_for_text(pilot, "密码错误，还可以再试 4 次")
        assert WRONG not in screen_text(pilot.app.screen)
        await press(pilot, "escape")
        await wait_for_screen(pilot, MenuScreen)

    run(make_app(), scenario)


def test_five_wrong_pins_lock_for_five_minutes_across_a_restart(make_app, journal) -> None:
    async def five_wrong(pilot) -> None:
        pin = await to_pin(pilot)
        for tries_left in (4, 3, 2, 1):
            await enter_pin(pilot, WRONG)
            await wait_for_text(pilot, f"还可以再试 {tries_left} 次")
        await enter_pin(pilot, WRONG)
        await wait_for_text(pilot, "输错 5 次，已锁定。请 5分00秒 后再试。")
        # Locked: even the right PIN is not taken.
        await press(pilot, *PIN, "enter")
        assert pilot.app.screen is pin
        assert "• " not in screen_text(pin)

    run(make_app(), five_wrong)
    assert PinLockout(journal).failures()[0] == 5

    async def after_restart(pilot) -> None:
        pin = await to_pin(pilot)
        await wait_for_text(pilot, "已锁定")
        await press(pilot, *PIN, "enter")
        assert pilot.app.screen is pin

    run(make_app(), after_restart)  # the same journal, a new app


def test_a_lockout_counts_down_and_ends_on_the_terminals_clock(make_app, journal) -> None:
    now = [NOW]

    async def scenario(pilot) -> None:
        pin = await to_pin(pilot)
        for _ in range(5):
            await enter_pin(pilot, WRONG)
            await wait_for_text(pilot, "次" if _ < 4 else "已锁定")
        now[0] = NOW + timedelta(minutes=2)
        await wait_for_text(pilot, "请 3分00秒 后再试")  # within a second: the screen's own tick
        now[0] = NOW + timedelta(minutes=5, seconds=1)
        await wait_for_text(pilot, "已解锁，请重新输入")
        await press(pilot, *PIN, "enter")
        await wait_for_screen(pilot, HomeScreen)
        assert pin not in pilot.app.screen_stack

    run(make_app(clock=lambda: now[0]), scenario)
    assert PinLockout(journal).failures()[0] == 0  # the right PIN after the lockout clears it


def test_the_pin_is_not_in_the_worker_that_checks_it(make_app, monkeypatch) -> None:
    """Textual logs a worker's description, which by default shows its arguments."""
    import threading

    from terminal.supervisor_pin import PinGate

    checking, release = threading.Event(), threading.Event()
    original = PinGate.check

    def slow_check(self, pin, now=None):
        checking.set()
        release.wait(5)
        return original(self, pin, now)

    monkeypatch.setattr(PinGate, "check", slow_check)

    async def scenario(pilot) -> None:
        await to_pin(pilot)
        await enter_pin(pilot, PIN)
        from tests.screens.pilot_steps import wait_until

        await wait_until(pilot, checking.is_set, "the check to start")
        descriptions = [f"{worker.name} {worker.description} {worker!r}" for worker in pilot.app.workers]
        release.set()
        assert descriptions and not any(PIN in text for text in descriptions), descriptions
        await wait_for_screen(pilot, HomeScreen)

    run(make_app(), scenario)


def test_a_touch_on_the_pads_keys_types_the_digit(make_app) -> None:
    async def scenario(pilot) -> None:
        pin = await to_pin(pilot)
        # The pad is one widget of 3 keys a row, each 6 cells wide with a gap of one: 1 2 3 / … / _ 0 _.
        await pilot.click("#pin-pad", offset=(9, 0))  # 2
        await pilot.click("#pin-pad", offset=(9, 3))  # 0
        await pilot.click("#pin-pad", offset=(2, 3))  # the empty cell: nothing
        assert "• • _ _ _ _" in screen_text(pin)
        await press(pilot, "backspace", "backspace")
        assert PIN == "123456"
        for offset in [(2, 0), (9, 0), (16, 0), (2, 1), (9, 1), (16, 1)]:  # 1 2 3 4 5 6
            await pilot.click("#pin-pad", offset=offset)
        assert "• • • • • •" in screen_text(pin)
        await press(pilot, "enter")
        await wait_for_screen(pilot, HomeScreen)

    run(make_app(), scenario)
