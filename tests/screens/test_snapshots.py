"""SVG snapshots of every screen at 40x16 and 80x24, in Chinese and English, with a clock that
stands still, fixed data and nothing timing-dependent on screen (the `still_screens` fixture).
There is no text cursor anywhere in the plugin (the PIN is drawn as dots, not typed into an
Input), so no cursor can blink into a snapshot.

Regenerate with `uv run pytest tests/screens --snapshot-update` and look at what changed."""

from __future__ import annotations

from datetime import timedelta
from typing import Awaitable, Callable

import pytest
from textual.pilot import Pilot

from protocol.enums import Reason, Result
from screens.appointment_list import AppointmentListScreen
from screens.confirm import ConfirmScreen
from screens.details import DetailsScreen
from screens.empty_list import EmptyListScreen
from screens.history import HistoryScreen
from screens.home import HomeScreen
from screens.host_problem import HostProblemScreen
from screens.merchant import MerchantScreen
from screens.pin import PinScreen
from screens.reason import ReasonScreen
from screens.result import ResultScreen
from screens.technician import TechnicianScreen
from screens.voucher_view import VoucherScreen
from screens.waiting import WaitingScreen
from terminal.client import AppointmentPage, HostRefusal, LinkFailure, LinkProblem
from terminal.pin_lockout import PinLockout
from tests.screens.pilot_steps import screen_text, wait_until
from tests.screens.scripted_client import (
    FIXED_APPOINTMENTS,
    FREE,
    NOW,
    TOO_LATE,
    WITH_FEE,
    Ok,
    Refuse,
    ScriptedClient,
    Unknown,
    many_appointments,
)

SIZES = {"40x16": (40, 16), "80x24": (80, 24)}
Setup = Callable[[Pilot, ScriptedClient], Awaitable[None]]


def nothing() -> None:
    pass


def attempt_by(client: ScriptedClient, script, appointment=FREE, reason=Reason.NO_LONGER_NEEDED, fee=0):
    client.cancel_script.append(script)
    return client.cancel(appointment, reason, fee).attempt


async def show(pilot: Pilot, screen, ready: Callable[[], bool] | None = None) -> None:
    await pilot.app.push_screen(screen)
    await wait_until(pilot, lambda: pilot.app.screen is screen, type(screen).__name__)
    if ready is not None:
        await wait_until(pilot, ready, f"{type(screen).__name__} ready")


# -- each screen, set up directly on fixed data


async def menu(pilot, client) -> None:
    pass


async def pin(pilot, client) -> None:
    screen = PinScreen(pilot.app.context)
    await show(pilot, screen)
    await pilot.press("1", "2", "3")


async def pin_locked(pilot, client) -> None:
    for _ in range(5):
        PinLockout(client.journal).record_failure(NOW - timedelta(minutes=1))
    screen = PinScreen(pilot.app.context)
    await show(pilot, screen, lambda: "已锁定" in screen_text(screen) or "locked" in screen_text(screen))


async def home(pilot, client) -> None:
    attempt_by(client, Unknown(Ok("C1"), settles_after=99))
    await show(pilot, HomeScreen(pilot.app.context))


async def merchant(pilot, client) -> None:
    await show(pilot, MerchantScreen(pilot.app.context))


async def waiting(pilot, client) -> None:
    # The host never answers; the screen sets `abort` when it goes, which ends the job.
    screen = WaitingScreen(pilot.app.context, lambda call: call.abort.wait(10), what="waiting.list", can_abort=True)
    await show(pilot, screen)


def page_of(appointments, page: int = 0) -> AppointmentPage:
    return AppointmentPage(len(appointments), page, tuple(appointments[page * 8 : page * 8 + 8]))


async def appointment_list(pilot, client) -> None:
    await show(pilot, AppointmentListScreen(pilot.app.context, page_of(FIXED_APPOINTMENTS)))


async def appointment_list_paged(pilot, client) -> None:
    await show(pilot, AppointmentListScreen(pilot.app.context, page_of(many_appointments(11), page=0)))


async def empty_list(pilot, client) -> None:
    await show(pilot, EmptyListScreen(pilot.app.context, retry=nothing))


async def link_down(pilot, client) -> None:
    error = LinkFailure("the host did not answer in time")
    await show(pilot, HostProblemScreen(pilot.app.context, error, retry=nothing))


async def not_authorised(pilot, client) -> None:
    error = HostRefusal(Result.NOT_AUTHORISED, None)
    await show(pilot, HostProblemScreen(pilot.app.context, error, retry=nothing))


async def details_free(pilot, client) -> None:
    await show(pilot, DetailsScreen(pilot.app.context, FREE, finish=nothing))


async def details_fee(pilot, client) -> None:
    await show(pilot, DetailsScreen(pilot.app.context, WITH_FEE, finish=nothing))


async def details_too_late(pilot, client) -> None:
    await show(pilot, DetailsScreen(pilot.app.context, TOO_LATE, finish=nothing))


async def reason(pilot, client) -> None:
    await show(pilot, ReasonScreen(pilot.app.context, FREE, finish=nothing))


async def confirm(pilot, client) -> None:
    await show(pilot, ConfirmScreen(pilot.app.context, WITH_FEE, Reason.WILL_REBOOK, finish=nothing))


async def confirm_fee_changed(pilot, client) -> None:
    refused = attempt_by(client, Refuse(Result.FEE_CHANGED, fee=5000))
    screen = ConfirmScreen(pilot.app.context, FREE, Reason.NO_LONGER_NEEDED, finish=nothing)
    await show(pilot, screen)
    screen.come_back(refused)
    await pilot.pause()


def result_screen(pilot, **kwargs) -> ResultScreen:
    return ResultScreen(pilot.app.context, finish=nothing, retry=lambda attempt: None, **kwargs)


async def result_cancelled(pilot, client) -> None:
    attempt = attempt_by(client, Ok("C20261127000042"), WITH_FEE, fee=5000)
    screen = result_screen(pilot, attempt=attempt)
    await show(pilot, screen, lambda: bool(screen.voucher_status))


async def result_unknown(pilot, client) -> None:
    attempt = attempt_by(client, Unknown(Ok("C1"), settles_after=99))
    screen = result_screen(pilot, attempt=attempt)
    await show(pilot, screen, lambda: bool(screen.settle_status))


async def result_too_late(pilot, client) -> None:
    attempt = attempt_by(client, Refuse(Result.TOO_LATE), TOO_LATE, fee=8000)
    await show(pilot, result_screen(pilot, attempt=attempt))


async def result_not_sent(pilot, client) -> None:
    error = LinkFailure("the host did not take the request after 3 sends; nothing came back", LinkProblem.DEAD_LINE)
    await show(pilot, result_screen(pilot, error=error))


def fill_history(client) -> None:
    attempt_by(client, Ok("C20261127000042"), WITH_FEE, fee=5000)
    attempt_by(client, Refuse(Result.TOO_LATE), TOO_LATE, fee=8000)
    attempt_by(client, Unknown(Ok("C1"), settles_after=99))


async def history(pilot, client) -> None:
    fill_history(client)
    await show(pilot, HistoryScreen(pilot.app.context))


async def voucher(pilot, client) -> None:
    attempt = attempt_by(client, Ok("C20261127000042"), WITH_FEE, fee=5000)
    await show(pilot, VoucherScreen(pilot.app.context, attempt))


async def technician(pilot, client) -> None:
    screen = TechnicianScreen(pilot.app.context)
    await show(pilot, screen, lambda: "LIST_RESP" in screen_text(screen))
    await pilot.press("1")
    await wait_until(pilot, lambda: "12 ms" in screen_text(screen), "the link test")


EVERY_SIZE_AND_LANGUAGE: dict[str, Setup] = {
    "menu": menu,
    "pin": pin,
    "home": home,
    "merchant": merchant,
    "waiting": waiting,
    "list": appointment_list,
    "empty": empty_list,
    "link_down": link_down,
    "details": details_free,
    "reason": reason,
    "confirm": confirm,
    "cancelled": result_cancelled,
    "unknown": result_unknown,
    "too_late": result_too_late,
    "history": history,
    "voucher": voucher,
    "technician": technician,
}
# More states of some screens, at the size where things are most likely not to fit.
NARROW_ONLY: dict[str, Setup] = {
    "pin_locked": pin_locked,
    "list_paged": appointment_list_paged,
    "not_authorised": not_authorised,
    "details_fee": details_fee,
    "details_too_late": details_too_late,
    "confirm_fee_changed": confirm_fee_changed,
    "not_sent": result_not_sent,
}




@pytest.mark.usefixtures("still_screens")
@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("name", list(EVERY_SIZE_AND_LANGUAGE))
def test_screen(snap_compare, make_app, client, name: str, size: str, locale: str) -> None:
    setup = EVERY_SIZE_AND_LANGUAGE[name]
    app = make_app(locale)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=lambda pilot: setup(pilot, client))


@pytest.mark.usefixtures("still_screens")
@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("name", list(NARROW_ONLY))
def test_narrow_screen(snap_compare, make_app, client, name: str, locale: str) -> None:
    setup = NARROW_ONLY[name]
    app = make_app(locale)
    assert snap_compare(app, terminal_size=SIZES["40x16"], run_before=lambda pilot: setup(pilot, client))


@pytest.mark.usefixtures("still_screens")
@pytest.mark.parametrize("name", ["menu", "cancelled"])
def test_training_banner(snap_compare, make_app, client, name: str) -> None:
    setup = EVERY_SIZE_AND_LANGUAGE[name]
    app = make_app("zh_CN", training=True)
    assert snap_compare(app, terminal_size=SIZES["40x16"], run_before=lambda pilot: setup(pilot, client))
