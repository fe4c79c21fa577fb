"""The voucher text: what the merchant gets on paper, and that it fits the paper."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import datetime

import pytest

from protocol.enums import Reason, Result, Service
from terminal.catalogue import format_money
from terminal.journal import Attempt, AttemptState
from terminal.text_width import display_width
from terminal.voucher import render_voucher

LONG_ZH = "四川省成都市武侯区天府大道北段1700号环球中心W6区1号楼18层1808室（请从东门进入，前台登记后联系张经理）"
LONG_EN = "Unit 1808, Floor 18, Building 1, Zone W6, Global Center, 1700 North Tianfu Avenue, Wuhou District, Chengdu"

CANCELLED = Attempt(
    request_id="TEST000100000003",
    appt_id="A20261128001",
    merchant_id="898440358120001",
    tid="TEST0001",
    operator_id="00",
    reason=Reason.WILL_REBOOK,
    fee_accepted=5000,
    created_at=datetime(2026, 11, 27, 12, 0, 0),
    scheduled_at=datetime(2026, 11, 28, 10, 0),
    service=Service.REPAIR,
    address="成都市武侯区天府大道100号",
    state=AttemptState.CANCELLED,
    result=Result.OK,
    cancel_ref="C20261127000042",
    fee_charged=1250,
    currency="156",
    host_time=datetime(2026, 11, 27, 12, 0, 3),
    settled_at=datetime(2026, 11, 27, 12, 0, 4),
    send_count=1,
)


def lines(text: str) -> list[str]:
    assert text.endswith("\n")
    return text[:-1].split("\n")


@pytest.mark.parametrize(
    ("locale", "width", "reprint", "training", "address"),
    list(itertools.product(["zh_CN", "en"], [32, 42, 48], [False, True], [False, True], [LONG_ZH, LONG_EN])),
)
def test_no_line_is_wider_than_the_paper(locale: str, width: int, reprint: bool, training: bool, address: str) -> None:
    attempt = dataclasses.replace(CANCELLED, address=address, cancel_ref="R" * 20, appt_id="X" * 20)
    printed = lines(render_voucher(attempt, locale=locale, width=width, reprint=reprint, training=training))
    for line in printed:
        assert display_width(line) <= width, line
    # The address is wrapped, not cut: every character of it is on the paper.
    joined = "".join(printed).replace(" ", "")
    assert address.replace(" ", "") in joined


def test_chinese_voucher_carries_everything_the_merchant_needs() -> None:
    text = render_voucher(CANCELLED, locale="zh_CN", width=32)
    for expected in (
        "取消预约凭证", "商户号", "898440358120001", "终端号", "TEST0001", "预约号", "A20261128001",
        "预约时间", "2026-11-28 10:00", "维修", "将重新预约", "手续费", "¥12.50", "取消编号",
        "主机时间", "2026-11-27 12:00:03", "请求号", "TEST000100000003", "请妥善保管本凭证",
        "成都市武侯区天府大道100号",
    ):
        assert expected in text, expected
    assert "重印" not in text and "培训模式" not in text


def test_english_voucher_carries_everything_the_merchant_needs() -> None:
    text = render_voucher(CANCELLED, locale="en", width=42)
    for expected in (
        "APPOINTMENT CANCELLATION", "Merchant no.", "Terminal no.", "Appointment", "Scheduled",
        "Repair", "Will rebook", "Fee charged", "¥12.50", "Cancellation no.", "Host time",
        "Request id", "keep this voucher",
    ):
        assert expected in text, expected
    assert "REPRINT" not in text and "TRAINING" not in text


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_cancellation_number_stands_on_its_own_line(locale: str) -> None:
    printed = lines(render_voucher(CANCELLED, locale=locale, width=32))
    assert "C20261127000042" in [line.strip() for line in printed]


def test_free_cancellation_shows_zero_fee() -> None:
    text = render_voucher(dataclasses.replace(CANCELLED, fee_charged=0), locale="zh_CN", width=32)
    assert "¥0.00" in text


@pytest.mark.parametrize(("locale", "marker"), [("zh_CN", "重印"), ("en", "REPRINT")])
def test_reprint_is_marked(locale: str, marker: str) -> None:
    assert marker in render_voucher(CANCELLED, locale=locale, width=32, reprint=True)
    assert marker not in render_voucher(CANCELLED, locale=locale, width=32)


@pytest.mark.parametrize(("locale", "marker"), [("zh_CN", "培训模式"), ("en", "TRAINING")])
def test_training_voucher_is_marked_at_top_and_bottom(locale: str, marker: str) -> None:
    printed = lines(render_voucher(CANCELLED, locale=locale, width=32, training=True))
    assert marker in "".join(printed[:4])
    assert marker in "".join(printed[-3:])


@pytest.mark.parametrize("state", [AttemptState.PENDING, AttemptState.UNKNOWN, AttemptState.REFUSED])
def test_only_a_confirmed_cancellation_has_a_voucher(state: AttemptState) -> None:
    with pytest.raises(ValueError, match="CANCELLED"):
        render_voucher(dataclasses.replace(CANCELLED, state=state), locale="zh_CN", width=32)


def test_unknown_paper_width_or_locale_is_refused() -> None:
    with pytest.raises(ValueError):
        render_voucher(CANCELLED, locale="zh_CN", width=40)
    with pytest.raises(ValueError):
        render_voucher(CANCELLED, locale="fr", width=32)


def test_host_text_cannot_break_the_layout() -> None:
    attempt = dataclasses.replace(CANCELLED, address="第一行\n第二行\r\n\x1b@第三行\t末尾")
    printed = lines(render_voucher(attempt, locale="zh_CN", width=32))
    assert not any("\x1b" in line or "\t" in line or "\r" in line for line in printed)
    assert any("第一行" in line and "第二行" in line for line in printed)


@pytest.mark.parametrize(
    ("fen", "text"),
    [(0, "¥0.00"), (5, "¥0.05"), (1250, "¥12.50"), (5000, "¥50.00"), (123456789, "¥1234567.89")],
)
def test_money(fen: int, text: str) -> None:
    assert format_money(fen) == text
    assert format_money(fen, "156") == text


def test_money_in_another_currency_names_its_code() -> None:
    assert format_money(1250, "840") == "12.50 (840)"


@pytest.mark.parametrize(
    ("text", "width"),
    [("", 0), ("abc", 3), ("取消", 4), ("预约号A1", 8), ("¥12.50", 6), ("ＡＢ", 4), ("e\u0301", 1)],
)
def test_display_width_counts_chinese_as_two_columns(text: str, width: int) -> None:
    assert display_width(text) == width


def test_host_text_on_paper_never_starts_a_line_with_a_closing_mark():
    from terminal.text_width import NO_LINE_START, display_width
    from terminal.voucher import wrap_to_width

    text = "上门安装已取消，费用按规定收取。请保留此凭证，以备查询。"
    for width in range(6, 32):
        lines = wrap_to_width(text, width)
        assert "".join(lines) == text
        assert all(display_width(line) <= width for line in lines), width
        assert not any(line[0] in NO_LINE_START for line in lines), (width, lines)
