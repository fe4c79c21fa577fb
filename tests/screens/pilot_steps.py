"""Steps the Pilot tests share: run a scenario, wait for a condition with a deadline (never a
bare sleep), read what the screen shows, and walk to a screen through the keypad."""

from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable

from rich.text import Text
from textual import events
from textual.app import App
from textual.content import Content
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, Digits, OptionList, Static

from screens.field_table import FieldTable
from screens.keypad import KeyBar
from screens.prose import Prose

PIN = "123456"  # demo_config's supervisor PIN
DEADLINE_S = 10.0

Scenario = Callable[[Pilot], Awaitable[None]]


def run(app: App, scenario: Scenario, size: tuple[int, int] = (80, 24)) -> None:
    async def go() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await scenario(pilot)

    asyncio.run(go())


def plain(value: object) -> str:
    if isinstance(value, (Text, Content)):
        return value.plain
    return str(value)


def screen_text(screen: Screen) -> str:
    """Every text the current screen holds (visible or scrolled away), one widget a line."""
    lines = []
    for widget in screen.query("*"):
        if not widget.display:
            continue
        if isinstance(widget, Digits):
            lines.append(widget.value)
        elif isinstance(widget, Prose):
            lines.append(widget.text)
        elif isinstance(widget, KeyBar):
            lines.extend(widget.hints())
        elif isinstance(widget, FieldTable):
            lines.extend(text for pair in widget.pairs for text in pair)
        elif isinstance(widget, Static):
            lines.append(plain(widget.content))
        elif isinstance(widget, Button):
            lines.append(plain(widget.label))
        elif isinstance(widget, OptionList):
            lines.extend(plain(option.prompt) for option in widget.options)
    return "\n".join(lines)


async def wait_until(pilot: Pilot, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            screen = pilot.app.screen
            raise AssertionError(
                f"waited {DEADLINE_S} s for {what}; the screen is {type(screen).__name__}:\n"
                + screen_text(screen)
            )
        await pilot.pause(0.02)


async def wait_for_screen(pilot: Pilot, kind: type[Screen], what: str = "") -> Screen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, kind), what or kind.__name__)
    await pilot.pause()
    return pilot.app.screen


async def wait_for_text(pilot: Pilot, text: str) -> None:
    await wait_until(pilot, lambda: text in screen_text(pilot.app.screen), repr(text))


async def press(pilot: Pilot, *keys: str) -> None:
    """Each key as the terminal driver delivers it, then a pause until the screen has taken it.
    (Pilot.press waits for the process to idle twice a key, which makes long walks slow.)"""
    for key in keys:
        pilot.app.post_message(events.Key(key, key if len(key) == 1 else None))
        await pilot.pause()


async def enter_pin(pilot: Pilot, pin: str = PIN) -> None:
    """The digits as a quick hand types them (all on the same screen), then Enter."""
    for digit in pin:
        pilot.app.post_message(events.Key(digit, digit))
    await pilot.pause()
    await press(pilot, "enter")


async def unlock(pilot: Pilot) -> Screen:
    """From the shell's menu to the plugin's own menu, through the PIN."""
    from screens.home import HomeScreen
    from screens.pin import PinScreen

    await press(pilot, "1")
    await wait_for_screen(pilot, PinScreen)
    await enter_pin(pilot)
    return await wait_for_screen(pilot, HomeScreen)


async def skip_pin(pilot: Pilot) -> Screen:
    """The plugin's menu as the PIN leaves it, for tests about what comes after the PIN (the
    PIN's own tests, and a few whole-flow ones, go through it)."""
    from screens.home import HomeScreen

    await pilot.app.push_screen(HomeScreen(pilot.app.context))  # type: ignore[attr-defined]
    return await wait_for_screen(pilot, HomeScreen)


async def open_list(
    pilot: Pilot, *, through_pin: bool = False, lands_on: type[Screen] | None = None
) -> Screen:
    """Through the PIN (or past it) and the merchant check to the first page of appointments, or
    to the screen `lands_on` that shows instead (no appointment, a host problem)."""
    from screens.appointment_list import AppointmentListScreen
    from screens.merchant import MerchantScreen

    if through_pin:
        await unlock(pilot)
    else:
        await skip_pin(pilot)
    await press(pilot, "1")
    await wait_for_screen(pilot, MerchantScreen)
    await press(pilot, "enter")
    return await wait_for_screen(pilot, lands_on or AppointmentListScreen)


async def pick(pilot: Pilot, appt_id: str) -> Screen:
    """Pick the appointment `appt_id` from the list on screen; its details come up."""
    from screens.details import DetailsScreen

    listing = pilot.app.screen
    number = [a.appt_id for a in listing.appointments].index(appt_id) + 1  # type: ignore[attr-defined]
    await press(pilot, str(number))
    return await wait_for_screen(pilot, DetailsScreen)
