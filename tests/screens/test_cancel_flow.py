"""The merchant's flow through the real plugin in the real shell, against the scripted client:
every way a cancellation can end, and Esc back at each step."""

from __future__ import annotations

import pytest

from protocol.enums import Reason, Result
from screens.appointment_list import AppointmentListScreen
from screens.confirm import ConfirmScreen
from screens.details import DetailsScreen
from screens.empty_list import EmptyListScreen
from screens.home import HomeScreen
from screens.host_problem import HostProblemScreen
from screens.merchant import MerchantScreen
from screens.reason import ReasonScreen
from screens.result import ResultScreen
from screens.waiting import WaitingScreen
from terminal.client import HostError, HostRefusal, LinkFailure, LinkProblem
from terminal.journal import AttemptState
from terminal.printing import FilePrinter
from terminal.shell import MenuScreen
from terminal.transport import PortHolder
from tests.screens.pilot_steps import (
    open_list,
    pick,
    press,
    run,
    screen_text,
    skip_pin,
    wait_for_screen,
    wait_for_text,
    wait_until,
)
from tests.screens.scripted_client import (
    FREE,
    IN_PROGRESS,
    TOO_LATE,
    WITH_FEE,
    FeeChanged,
    LinkDown,
    Ok,
    Refuse,
    Unknown,
    many_appointments,
)


async def to_confirmation(pilot, appt_id: str, reason: str = "1", *, through_pin: bool = False):
    await open_list(pilot, through_pin=through_pin)
    await pick(pilot, appt_id)
    await press(pilot, "enter")
    await wait_for_screen(pilot, ReasonScreen)
    await press(pilot, reason)
    return await wait_for_screen(pilot, ConfirmScreen)


def test_free_cancellation_succeeds_and_keeps_the_voucher(make_app, client, journal) -> None:
    client.cancel_script.append(Ok("C20261127000042"))

    async def scenario(pilot) -> None:
        confirm = await to_confirmation(pilot, FREE.appt_id, reason="2", through_pin=True)
        assert "免费（¥0.00）" in screen_text(confirm)
        await press(pilot, "enter")
        result = await wait_for_screen(pilot, ResultScreen)
        await wait_for_text(pilot, "凭证已保存，可在取消记录中重印")
        text = screen_text(result)
        assert "C20261127000042" in text and "预约已取消" in text and "¥0.00" in text
        # Done: back to the list, asked again; the cancelled one is gone from it.
        await press(pilot, "enter")
        listing = await wait_for_screen(pilot, AppointmentListScreen)
        await wait_until(pilot, lambda: len(client.list_calls) == 2, "the list asked again")
        await wait_until(
            pilot, lambda: FREE.appt_id not in [a.appt_id for a in listing.appointments], "the list refreshed"
        )

    run(make_app(), scenario)
    assert client.cancel_calls == [(FREE.appt_id, Reason.WILL_REBOOK, 0)]
    [attempt] = journal.history()
    assert attempt.state is AttemptState.CANCELLED and attempt.cancel_ref == "C20261127000042"


def test_the_list_refreshes_when_its_answer_comes_after_the_result_screen_is_gone(make_app, client) -> None:
    """The waiting screen's answer must reach the list even when the screen that asked for it
    (the result, closed by Enter) has finished closing before the host answered."""

    async def scenario(pilot) -> None:
        await to_confirmation(pilot, FREE.appt_id, through_pin=True)
        await press(pilot, "enter")
        result = await wait_for_screen(pilot, ResultScreen)
        client.gate.clear()  # the list's answer comes late
        await press(pilot, "enter")
        await wait_for_screen(pilot, WaitingScreen)
        await wait_until(pilot, lambda: not result.is_running, "the result screen closed")
        client.gate.set()
        listing = await wait_for_screen(pilot, AppointmentListScreen)
        await wait_until(
            pilot, lambda: FREE.appt_id not in [a.appt_id for a in listing.appointments], "the list refreshed"
        )

    run(make_app(), scenario)
    assert client.list_calls == [0, 0]


def test_the_fee_shown_is_the_fee_accepted_and_the_voucher_is_printed(make_app, client, journal, tmp_path) -> None:
    paper = tmp_path / "vouchers.txt"

    async def scenario(pilot) -> None:
        await open_list(pilot)
        details = await pick(pilot, WITH_FEE.appt_id)
        text = screen_text(details)
        assert "现在取消收费 ¥50.00。" in text
        assert "11月29日 12:30 以后不能取消。" in text
        assert "Flat 12, 221B Baker Street, Marylebone, London NW1 6XE, United Kingdom" in text
        await press(pilot, "enter")
        await wait_for_screen(pilot, ReasonScreen)
        await press(pilot, "9")
        confirm = await wait_for_screen(pilot, ConfirmScreen)
        assert "¥50.00" in screen_text(confirm)
        await press(pilot, "enter")
        result = await wait_for_screen(pilot, ResultScreen)
        assert "¥50.00" in screen_text(result)
        await wait_for_text(pilot, "凭证已打印")

    run(make_app(printer=FilePrinter(paper, width=32)), scenario)
    assert client.cancel_calls == [(WITH_FEE.appt_id, Reason.OTHER, 5000)]
    assert journal.history()[0].cancel_ref in paper.read_text(encoding="utf-8")
    assert journal.history()[0].fee_charged == 5000


def test_fee_changed_goes_back_to_the_confirmation_and_the_new_fee_must_be_accepted(make_app, client, journal) -> None:
    client.cancel_script.extend([FeeChanged(5000), Ok("C20261127000077")])

    async def scenario(pilot) -> None:
        confirm = await to_confirmation(pilot, FREE.appt_id)
        await press(pilot, "enter")
        await wait_for_text(pilot, "主机上的费用已变为 ¥50.00（原为 ¥0.00），预约没有取消。")
        assert pilot.app.screen is confirm
        assert "¥50.00" in screen_text(confirm)
        assert len(client.cancel_calls) == 1  # nothing more until the merchant accepts
        await press(pilot, "enter")
        result = await wait_for_screen(pilot, ResultScreen)
        assert "C20261127000077" in screen_text(result)

    run(make_app(), scenario)
    assert [fee for _, _, fee in client.cancel_calls] == [0, 5000]
    first, second = reversed(journal.history())
    assert first.result is Result.FEE_CHANGED and first.refused_fee == 5000
    assert second.state is AttemptState.CANCELLED and second.request_id != first.request_id


def test_fee_changed_can_be_declined_with_esc(make_app, client) -> None:
    client.cancel_script.append(FeeChanged(5000))

    async def scenario(pilot) -> None:
        await to_confirmation(pilot, FREE.appt_id)
        await press(pilot, "enter")
        await wait_for_text(pilot, "¥50.00（原为 ¥0.00）")
        await press(pilot, "escape")
        await wait_for_screen(pilot, ReasonScreen)

    run(make_app(), scenario)
    assert len(client.cancel_calls) == 1


def test_too_late_and_in_progress_cannot_be_continued(make_app, client) -> None:
    async def scenario(pilot) -> None:
        await open_list(pilot)
        for appointment, words in ((TOO_LATE, "取消截止时间 11月27日 09:00 已过"), (IN_PROGRESS, "服务已经开始")):
            details = await pick(pilot, appointment.appt_id)
            assert words in screen_text(details)
            assert "继续" not in screen_text(details)
            await press(pilot, "enter")  # not offered: nothing happens
            assert pilot.app.screen is details
            await press(pilot, "escape")
            await wait_for_screen(pilot, AppointmentListScreen)

    run(make_app(), scenario)
    assert client.cancel_calls == []


def refusal_scenario(make_app, client, script, words: str, back_to):
    client.cancel_script.append(script)

    async def scenario(pilot) -> None:
        await to_confirmation(pilot, FREE.appt_id)
        await press(pilot, "enter")
        result = await wait_for_screen(pilot, ResultScreen)
        assert words in screen_text(result)
        assert "没有取消" in screen_text(result) or "没有再取消" in screen_text(result)
        await press(pilot, "enter")
        await wait_for_screen(pilot, back_to)

    run(make_app(), scenario)


def test_too_late_from_the_host(make_app, client) -> None:
    refusal_scenario(make_app, client, Refuse(Result.TOO_LATE), "如需改期，请直接联系服务商", AppointmentListScreen)


def test_not_found(make_app, client) -> None:
    refusal_scenario(make_app, client, Refuse(Result.NOT_FOUND), "主机上没有这个预约", AppointmentListScreen)


def test_already_cancelled(make_app, client) -> None:
    refusal_scenario(
        make_app, client, Refuse(Result.ALREADY_CANCELLED), "这个预约之前已经取消了", AppointmentListScreen
    )


def test_busy_offers_to_send_again(make_app, client) -> None:
    refusal_scenario(make_app, client, Refuse(Result.BUSY), "请等一分钟，然后按 Enter 重试", ConfirmScreen)


def test_link_failure_on_cancel_says_nothing_was_sent_and_retry_works(make_app, client, journal) -> None:
    client.cancel_script.extend([LinkDown(), Ok("C20261127000099")])

    async def scenario(pilot) -> None:
        await to_confirmation(pilot, FREE.appt_id)
        await press(pilot, "enter")
        result = await wait_for_screen(pilot, ResultScreen)
        assert "取消请求没有发出，预约没有取消" in screen_text(result)
        await press(pilot, "enter")  # retry: back to the confirmation
        await wait_for_screen(pilot, ConfirmScreen)
        await press(pilot, "enter")
        await wait_for_text(pilot, "C20261127000099")

    run(make_app(), scenario)
    assert [a.state for a in journal.history()] == [AttemptState.CANCELLED]


def test_unknown_outcome_is_settled_later_by_the_background_worker(make_app, client, journal) -> None:
    client.cancel_script.append(Unknown(Ok("C20261127000123"), settles_after=2))

    async def scenario(pilot) -> None:
        await to_confirmation(pilot, FREE.appt_id)
        await press(pilot, "enter")
        await wait_for_screen(pilot, ResultScreen)
        await wait_for_text(pilot, "C20261127000123")
        assert "预约已取消" in screen_text(pilot.app.screen)

    run(make_app(), scenario)
    attempt = journal.history()[0]
    assert attempt.state is AttemptState.CANCELLED
    assert client.settle_calls == [attempt.request_id] * 3


def test_unknown_outcome_says_so_while_it_keeps_asking(make_app, client, journal, monkeypatch) -> None:
    import terminal.settler

    monkeypatch.setattr(terminal.settler, "BACKGROUND_ROUNDS", 3)
    client.cancel_script.append(Unknown(Ok("C1"), settles_after=99))

    async def scenario(pilot) -> None:
        await to_confirmation(pilot, FREE.appt_id)
        await press(pilot, "enter")
        result = await wait_for_screen(pilot, ResultScreen)
        assert "取消结果尚未确认" in screen_text(result)
        await wait_for_text(pilot, "终端会在下次开机时再查询")  # gave up after 3 rounds
        assert len(client.settle_calls) == 3
        await press(pilot, "enter")
        await wait_for_screen(pilot, AppointmentListScreen)

    run(make_app(), scenario)
    assert journal.history()[0].state is AttemptState.UNKNOWN


def test_empty_list_has_its_own_screen(make_app, client) -> None:
    client.appointments.clear()

    async def scenario(pilot) -> None:
        empty = await open_list(pilot, lands_on=EmptyListScreen)
        assert "本商户现在没有可以取消的预约" in screen_text(empty)
        client.appointments.append(FREE)
        await press(pilot, "enter")  # ask again
        await wait_for_screen(pilot, AppointmentListScreen)

    run(make_app(), scenario)
    assert client.list_calls == [0, 0]


def host_problem_scenario(make_app, client, error, words: str) -> None:
    client.list_script.append(error)

    async def scenario(pilot) -> None:
        problem = await open_list(pilot, lands_on=HostProblemScreen)
        assert words in screen_text(problem)
        assert "重试" in screen_text(problem)
        await press(pilot, "enter")  # retry: the host answers this time
        await wait_for_screen(pilot, AppointmentListScreen)

    run(make_app(), scenario)
    assert client.list_calls == [0, 0]


def test_link_down_on_the_list_says_what_to_do_and_retry_works(make_app, client) -> None:
    host_problem_scenario(make_app, client, LinkFailure("the host did not answer in time"), "请检查通讯线是否插好")


def test_host_busy_on_the_list(make_app, client) -> None:
    host_problem_scenario(make_app, client, HostError(Result.BUSY, None, True), "请等一分钟")


@pytest.mark.parametrize(
    "error, words",
    [
        (HostError(Result.BAD_MAC, "MAC did not verify", False), "主机无法验证终端 TEST0001：它的密钥与主机的不一致"),
        (LinkFailure("held", LinkProblem.PORT_HELD, holders=(PortHolder(4242, "minicom"),)),
         "终端的串口被另一个程序占用 (pid 4242 minicom)"),
        (LinkFailure("nothing came back", LinkProblem.DEAD_LINE), "主机完全没有回应"),
        (LinkFailure("garbled", LinkProblem.NOISY_LINE), "线路有干扰"),
    ],
    ids=["wrong key", "port held", "dead line", "noisy line"],
)
def test_each_trouble_on_the_list_says_what_to_do(make_app, client, error, words) -> None:
    host_problem_scenario(make_app, client, error, words)


def test_not_authorised_on_the_list(make_app, client) -> None:
    host_problem_scenario(
        make_app,
        client,
        HostRefusal(Result.NOT_AUTHORISED, None),
        "主机说终端 TEST0001 没有绑定商户 898440358120001",
    )


def test_paging_by_the_host_pages(make_app, client) -> None:
    client.appointments[:] = many_appointments(11)

    async def scenario(pilot) -> None:
        listing = await open_list(pilot)
        assert len(listing.appointments) == 8 and "1/2" in listing.title_text()
        await press(pilot, "right")
        await wait_until(pilot, lambda: listing.page.page == 1, "page 2")
        assert len(listing.appointments) == 3
        await press(pilot, "9")  # no such line on this page
        assert pilot.app.screen is listing
        await press(pilot, "pageup")
        await wait_until(pilot, lambda: listing.page.page == 0, "page 1 again")
        await press(pilot, "8")
        details = await wait_for_screen(pilot, DetailsScreen)
        assert details.appointment.appt_id == client.appointments[7].appt_id

    run(make_app(), scenario)
    assert client.list_calls == [0, 1, 0]


def test_esc_goes_back_one_step_at_a_time(make_app, client) -> None:
    async def scenario(pilot) -> None:
        await to_confirmation(pilot, FREE.appt_id, through_pin=True)
        for screen in (ReasonScreen, DetailsScreen, AppointmentListScreen, HomeScreen, MenuScreen):
            await press(pilot, "escape")
            await wait_for_screen(pilot, screen)
        await press(pilot, "1")  # and in again: the PIN is asked again
        from screens.pin import PinScreen

        await wait_for_screen(pilot, PinScreen)
        await press(pilot, "escape")
        await wait_for_screen(pilot, MenuScreen)
        await skip_pin(pilot)
        await press(pilot, "1")
        await wait_for_screen(pilot, MerchantScreen)
        await press(pilot, "escape")
        await wait_for_screen(pilot, HomeScreen)

    run(make_app(), scenario)
    assert client.cancel_calls == []


def test_esc_gives_up_waiting_until_the_request_is_sent(make_app, client) -> None:
    async def scenario(pilot) -> None:
        await skip_pin(pilot)
        await press(pilot, "1")
        await wait_for_screen(pilot, MerchantScreen)
        client.gate.clear()  # the request has not left yet
        await press(pilot, "enter")
        waiting = await wait_for_screen(pilot, WaitingScreen)
        assert "Esc 取消" in screen_text(waiting)
        await press(pilot, "escape")
        await wait_for_screen(pilot, HomeScreen)
        client.gate.set()

    run(make_app(), scenario)
    assert client.list_calls == [0]


def test_a_key_is_answered_while_the_host_is_awaited(make_app, client) -> None:
    """The UI never blocks: with the client held, the waiting screen still takes keys."""

    async def scenario(pilot) -> None:
        await to_confirmation(pilot, FREE.appt_id)
        client.gate.clear()
        await press(pilot, "enter")
        waiting = await wait_for_screen(pilot, WaitingScreen)
        await wait_for_text(pilot, "主机已收到，等待答复")  # sent: Esc no longer offered
        assert "Esc" not in screen_text(waiting)
        await press(pilot, "escape", "1", "enter")
        assert pilot.app.screen is waiting
        client.gate.set()
        await wait_for_screen(pilot, ResultScreen)

    run(make_app(), scenario)
    assert len(client.cancel_calls) == 1


def test_a_long_address_scrolls_into_view_at_40_by_16(make_app) -> None:
    async def scenario(pilot) -> None:
        await open_list(pilot)
        details = await pick(pilot, FREE.appt_id)
        body = details.query_one("ScreenBody")
        assert body.max_scroll_y > 0  # it does not all fit: the arrows scroll it
        await press(pilot, "down")
        await wait_until(pilot, lambda: body.scroll_y > 0, "scrolled down")
        await press(pilot, "up")
        await wait_until(pilot, lambda: body.scroll_y == 0, "scrolled back")

    run(make_app("en"), scenario, size=(40, 16))


def test_no_screen_of_the_flow_reparses_the_stylesheet_when_first_shown(make_app, client, monkeypatch) -> None:
    """The plugin's CSS (its files and its widgets' DEFAULT_CSS) is read while the menu is up: a
    first push that re-parsed it would restyle every widget of the app in the middle of a key."""
    from pathlib import Path

    import screens.home

    client.cancel_script.append(Ok("C20261127000042"))
    reparsed: list[str] = []

    async def scenario(pilot) -> None:
        await wait_for_screen(pilot, MenuScreen)
        stylesheet = pilot.app.stylesheet
        plugin_css = Path(screens.home.__file__).resolve().parent.glob("*.tcss")
        assert all(stylesheet.has_source(str(path), "") for path in plugin_css)
        original = stylesheet.reparse
        monkeypatch.setattr(stylesheet, "reparse", lambda: (reparsed.append(type(pilot.app.screen).__name__), original()))
        sources = set(stylesheet.source)
        await to_confirmation(pilot, FREE.appt_id, through_pin=True)
        await press(pilot, "enter")
        await wait_for_screen(pilot, ResultScreen)
        # Nor does any widget of theirs bring DEFAULT_CSS the read-ahead missed (each would be
        # parsed, and every rule sorted again, when its first widget is mounted).
        assert set(stylesheet.source) - sources == set()

    run(make_app(), scenario)
    assert reparsed == []
