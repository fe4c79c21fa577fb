"""The cancellation voucher as plain text, laid out for 32-, 42- or 48-column receipt paper."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from protocol.enums import CURRENCY_CNY
from terminal.catalogue import LOCALES, PAPER_WIDTHS, format_money, reason_name, service_name, t
from terminal.journal import Attempt, AttemptState
from terminal.text_width import display_width, wrap_prose


def _clean(text: str) -> str:
    """Host text on paper: control and format characters (newlines too) become spaces."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)


def wrap_to_width(text: str, width: int) -> list[str]:
    """Host text on paper, in lines of at most `width` columns, wrapped as the screens wrap it
    (terminal/text_width.py wrap_prose): at spaces, between Chinese characters, and never a
    closing mark at a line's start."""
    return wrap_prose(_clean(text).strip(), width)


def _center(text: str, width: int) -> list[str]:
    lines = wrap_to_width(text, width)
    return [" " * ((width - display_width(line)) // 2) + line for line in lines]


def _field(label: str, value: str, width: int) -> list[str]:
    """Label on the left, value on the right; the value goes below, indented, if it does not fit."""
    value = _clean(value)
    gap = width - display_width(label) - display_width(value)
    if gap >= 1:
        return [label + " " * gap + value]
    return [label] + ["  " + line for line in wrap_to_width(value, width - 2)]


def _time(value: datetime | None, *, seconds: bool) -> str:
    if value is None:
        return "-"
    return value.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def render_voucher(
    attempt: Attempt, *, locale: str, width: int, reprint: bool = False, training: bool = False
) -> str:
    """The voucher of a confirmed cancellation, one string with a newline after every line."""
    if attempt.state is not AttemptState.CANCELLED:
        raise ValueError(
            f"cancellation {attempt.request_id} is {attempt.state.name}, not CANCELLED: "
            "only a cancellation the host confirmed has a voucher"
        )
    if locale not in LOCALES:
        raise ValueError(f"no voucher text for locale {locale!r}; use one of {', '.join(LOCALES)}")
    if width not in PAPER_WIDTHS:
        raise ValueError(f"paper width {width} is not one of {PAPER_WIDTHS}")
    fee = "-" if attempt.fee_charged is None else format_money(
        attempt.fee_charged, attempt.currency or CURRENCY_CNY
    )

    lines: list[str] = ["=" * width]
    lines += _center(t("paper.title", locale), width)
    if reprint:
        lines += _center(t("paper.reprint", locale), width)
    if training:
        lines += _center(t("paper.training", locale), width)
    lines.append("-" * width)
    lines += _field(t("paper.merchant", locale), attempt.merchant_id, width)
    lines += _field(t("paper.terminal", locale), attempt.tid, width)
    lines += _field(t("paper.operator", locale), attempt.operator_id, width)
    lines += _field(t("paper.appointment", locale), attempt.appt_id, width)
    lines += _field(t("paper.scheduled", locale), _time(attempt.scheduled_at, seconds=False), width)
    lines += _field(t("paper.service", locale), service_name(attempt.service, locale), width)
    # The address is the longest value: always below its label so it can use the full width.
    lines.append(t("paper.address", locale))
    lines += ["  " + line for line in wrap_to_width(attempt.address or "-", width - 2)]
    lines += _field(t("paper.reason", locale), reason_name(attempt.reason, locale), width)
    lines += _field(t("paper.fee", locale), fee, width)
    # The cancellation number is what the merchant quotes later: its own block, centred.
    lines.append("-" * width)
    lines += _center(t("paper.cancel_ref", locale), width)
    lines += _center(attempt.cancel_ref or "-", width)
    lines.append("-" * width)
    lines += _field(t("paper.host_time", locale), _time(attempt.host_time, seconds=True), width)
    lines += _field(t("paper.request", locale), attempt.request_id, width)
    lines += _center(t("paper.keep", locale), width)
    if training:
        lines += _center(t("paper.training", locale), width)
    lines.append("=" * width)
    return "\n".join(lines) + "\n"
