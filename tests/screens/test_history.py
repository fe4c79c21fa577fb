"""History: every attempt newest first with its state, the voucher view, reprint to a printer
(or shown when there is none), and settling a pending one now."""

from __future__ import annotations

from pathlib import Path

from screens.history import HistoryScreen
from screens.voucher_view import VoucherScreen
from terminal.journal import AttemptState
from terminal.printing import FilePrinter
from tests.screens.pilot_steps import press, run, screen_text, skip_pin, wait_for_screen, wait_for_text, wait_until
from tests.screens.scripted_client import FREE, TOO_LATE, WITH_FEE, Ok, Refuse, Unknown
from protocol.enums import Reason, Result


def fill_journal(client) -> None:
    """Three attempts, as three cancellations would leave them: cancelled, refused, pending."""
    client.cancel_script.extend(
        [Ok("C20261127000042"), Refuse(Result.TOO_LATE), Unknown(Ok("C20261127000043"), settles_after=1)]
    )
    client.cancel(WITH_FEE, Reason.NO_LONGER_NEEDED, 5000)
    client.cancel(TOO_LATE, Reason.BUSINESS_CLOSED, 8000)
    client.cancel(FREE, Reason.WILL_REBOOK, 0)


async def to_history(pilot) -> HistoryScreen:
    await skip_pin(pilot)
    await press(pilot, "2")
    return await wait_for_screen(pilot, HistoryScreen)


def test_history_lists_every_attempt_newest_first_and_reprints(make_app, client, tmp_path: Path) -> None:
    fill_journal(client)
    paper = tmp_path / "vouchers.txt"

    async def scenario(pilot) -> None:
        history = await to_history(pilot)
        assert [a.appt_id for a in history.attempts] == [FREE.appt_id, TOO_LATE.appt_id, WITH_FEE.appt_id]
        text = screen_text(history)
        assert "待确认" in text and "未取消" in text and "太晚" in text and "已取消" in text
        await press(pilot, "down", "down")  # the cancelled one
        assert history.selected.cancel_ref == "C20261127000042"
        await press(pilot, "1")
        await wait_for_text(pilot, "凭证已重印")
        await press(pilot, "enter")
        voucher = await wait_for_screen(pilot, VoucherScreen)
        assert "C20261127000042" in screen_text(voucher)
        await press(pilot, "1")  # reprint from the voucher view too
        await wait_for_text(pilot, "凭证已重印")
        await press(pilot, "escape")
        await wait_for_screen(pilot, HistoryScreen)

    run(make_app(printer=FilePrinter(paper, width=32)), scenario)
    printed = paper.read_text(encoding="utf-8")
    assert printed.count("C20261127000042") == 2
    assert printed.count("重印") == 2


def test_reprint_without_a_printer_shows_the_voucher(make_app, client) -> None:
    fill_journal(client)

    async def scenario(pilot) -> None:
        history = await to_history(pilot)
        await press(pilot, "down", "down", "1")
        voucher = await wait_for_screen(pilot, VoucherScreen)
        text = screen_text(voucher)
        assert "C20261127000042" in text and "取消预约凭证" in text
        assert "没有连接打印机" in text

    run(make_app(), scenario)


def test_a_pending_one_is_settled_now_with_a_key(make_app, client, journal) -> None:
    fill_journal(client)

    async def scenario(pilot) -> None:
        history = await to_history(pilot)
        assert history.selected.state is AttemptState.UNKNOWN
        await press(pilot, "2")  # the host still does not know: it stays pending
        await wait_for_text(pilot, "结果仍待确认")
        await press(pilot, "2")
        await wait_for_text(pilot, "已确认：已取消")
        await wait_until(pilot, lambda: history.attempts[0].state is AttemptState.CANCELLED, "the row updated")
        assert "C20261127000043" in screen_text(history)

    run(make_app(), scenario)
    assert journal.unsettled() == []


def test_history_in_english(make_app, client) -> None:
    fill_journal(client)

    async def scenario(pilot) -> None:
        history = await to_history(pilot)
        text = screen_text(history)
        assert "Not confirmed" in text and "Not cancelled" in text and "too late" in text and "Cancelled" in text
        await press(pilot, "down")
        await press(pilot, "enter")
        voucher = await wait_for_screen(pilot, VoucherScreen)
        assert "Not cancelled (too late): there is no voucher." in screen_text(voucher)

    run(make_app("en"), scenario)


def test_a_damaged_journal_is_said_on_the_screens_not_a_crash(make_app, client, journal) -> None:
    import sqlite3

    fill_journal(client)
    with sqlite3.connect(journal.path) as db:
        db.execute("UPDATE attempt SET reason = 77")  # every record damaged, the pending one too
    db.close()

    async def scenario(pilot) -> None:
        await skip_pin(pilot)
        await wait_for_text(pilot, "取消记录文件无法读取")  # the plugin's menu, instead of the pending count
        await press(pilot, "2")
        history = await wait_for_screen(pilot, HistoryScreen)
        await wait_for_text(pilot, "is damaged")
        assert "journal.sqlite" in screen_text(history)  # the file is named
        await press(pilot, "escape")

    run(make_app("zh_CN"), scenario)
