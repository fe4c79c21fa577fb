"""The cancellation voucher as plain text, laid out for 32-, 42- or 48-column receipt paper."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from protocol.enums import CURRENCY_CNY, Reason, Service
from terminal.journal import Attempt, AttemptState

PAPER_WIDTHS = (32, 42, 48)

_CURRENCY_SYMBOLS = {CURRENCY_CNY: "¥"}

# Label strings per locale. Only wide (W) or narrow characters here, never East Asian
# "ambiguous" ones such as "·", whose width differs between printers.
LABELS: dict[str, dict[str, str]] = {
    "zh_CN": {
        "title": "取消预约凭证",
        "reprint": "*** 重印 ***",
        "training": "*** 培训模式 非正式凭证 ***",
        "merchant": "商户号",
        "terminal": "终端号",
        "operator": "操作员",
        "appointment": "预约号",
        "scheduled": "预约时间",
        "service": "服务",
        "address": "地址",
        "reason": "取消原因",
        "fee": "手续费",
        "cancel_ref": "取消编号",
        "host_time": "主机时间",
        "request": "请求号",
        "keep": "请妥善保管本凭证",
    },
    "en": {
        "title": "APPOINTMENT CANCELLATION",
        "reprint": "*** REPRINT ***",
        "training": "*** TRAINING - NOT VALID ***",
        "merchant": "Merchant no.",
        "terminal": "Terminal no.",
        "operator": "Operator",
        "appointment": "Appointment",
        "scheduled": "Scheduled",
        "service": "Service",
        "address": "Address",
        "reason": "Reason",
        "fee": "Fee charged",
        "cancel_ref": "Cancellation no.",
        "host_time": "Host time",
        "request": "Request id",
        "keep": "Please keep this voucher",
    },
}

SERVICE_NAMES: dict[str, dict[Service, str]] = {
    "zh_CN": {
        Service.INSTALLATION: "安装",
        Service.REPAIR: "维修",
        Service.TRAINING: "培训",
        Service.REPLACEMENT: "更换",
        Service.REMOVAL: "拆机",
    },
    "en": {
        Service.INSTALLATION: "Installation",
        Service.REPAIR: "Repair",
        Service.TRAINING: "Training",
        Service.REPLACEMENT: "Replacement",
        Service.REMOVAL: "Removal",
    },
}

REASON_NAMES: dict[str, dict[Reason, str]] = {
    "zh_CN": {
        Reason.NO_LONGER_NEEDED: "不再需要",
        Reason.WILL_REBOOK: "将重新预约",
        Reason.CHOSE_ANOTHER_PROVIDER: "已选择其他服务商",
        Reason.BUSINESS_CLOSED: "停业",
        Reason.OTHER: "其他",
    },
    "en": {
        Reason.NO_LONGER_NEEDED: "No longer needed",
        Reason.WILL_REBOOK: "Will rebook",
        Reason.CHOSE_ANOTHER_PROVIDER: "Chose another provider",
        Reason.BUSINESS_CLOSED: "Business closed",
        Reason.OTHER: "Other",
    },
}


def char_width(ch: str) -> int:
    """Columns one character takes on a receipt printer or terminal."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Columns `text` takes: wide and fullwidth (Chinese) characters count 2."""
    return sum(char_width(ch) for ch in text)


def format_money(fen: int, currency: str = CURRENCY_CNY) -> str:
    """Minor units as money: 1250 → "¥12.50", 0 → "¥0.00"; other currencies by their code."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    symbol = _CURRENCY_SYMBOLS.get(currency)
    if symbol is not None:
        return f"{sign}{symbol}{yuan}.{cents:02d}"
    return f"{sign}{yuan}.{cents:02d} ({currency})"


def service_name(service: Service | None, locale: str) -> str:
    if service is None:
        return "-"
    return SERVICE_NAMES[locale].get(service, str(int(service)))


def reason_name(reason: Reason, locale: str) -> str:
    return REASON_NAMES[locale].get(reason, str(int(reason)))


def _clean(text: str) -> str:
    """Host text on paper: control and format characters (newlines too) become spaces."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)


def _split_long(word: str, width: int) -> list[str]:
    pieces: list[str] = []
    current, used = "", 0
    for ch in word:
        w = char_width(ch)
        if used + w > width and current:
            pieces.append(current)
            current, used = "", 0
        current += ch
        used += w
    if current:
        pieces.append(current)
    return pieces


def wrap_to_width(text: str, width: int) -> list[str]:
    """Lines of at most `width` columns. Breaks at spaces where there are any; Chinese text,
    which has none, may break between any two characters."""
    # Tokens: a run of non-space narrow characters is a word; each wide character stands
    # alone (a legal break point on both sides); spaces separate.
    tokens: list[str] = []
    word = ""
    for ch in _clean(text):
        if ch == " " or char_width(ch) == 2:
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        else:
            word += ch
    if word:
        tokens.append(word)

    lines: list[str] = []
    line, used = "", 0
    for token in tokens:
        if token == " ":
            # Never start a line with a space; a space at a line's end is dropped on flushing.
            if line and used < width:
                line += " "
                used += 1
            continue
        w = display_width(token)
        if used + w > width and line:
            lines.append(line.rstrip())
            line, used = "", 0
        if w > width:
            pieces = _split_long(token, width)
            lines.extend(pieces[:-1])
            token = pieces[-1]
            w = display_width(token)
        line += token
        used += w
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


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
    if locale not in LABELS:
        raise ValueError(f"no voucher text for locale {locale!r}; use one of {', '.join(LABELS)}")
    if width not in PAPER_WIDTHS:
        raise ValueError(f"paper width {width} is not one of {PAPER_WIDTHS}")
    label = LABELS[locale]
    fee = "-" if attempt.fee_charged is None else format_money(
        attempt.fee_charged, attempt.currency or CURRENCY_CNY
    )

    lines: list[str] = ["=" * width]
    lines += _center(label["title"], width)
    if reprint:
        lines += _center(label["reprint"], width)
    if training:
        lines += _center(label["training"], width)
    lines.append("-" * width)
    lines += _field(label["merchant"], attempt.merchant_id, width)
    lines += _field(label["terminal"], attempt.tid, width)
    lines += _field(label["operator"], attempt.operator_id, width)
    lines += _field(label["appointment"], attempt.appt_id, width)
    lines += _field(label["scheduled"], _time(attempt.scheduled_at, seconds=False), width)
    lines += _field(label["service"], service_name(attempt.service, locale), width)
    # The address is the longest value: always below its label so it can use the full width.
    lines.append(label["address"])
    lines += ["  " + line for line in wrap_to_width(attempt.address or "-", width - 2)]
    lines += _field(label["reason"], reason_name(attempt.reason, locale), width)
    lines += _field(label["fee"], fee, width)
    # The cancellation number is what the merchant quotes later: its own block, centred.
    lines.append("-" * width)
    lines += _center(label["cancel_ref"], width)
    lines += _center(attempt.cancel_ref or "-", width)
    lines.append("-" * width)
    lines += _field(label["host_time"], _time(attempt.host_time, seconds=True), width)
    lines += _field(label["request"], attempt.request_id, width)
    lines += _center(label["keep"], width)
    if training:
        lines += _center(label["training"], width)
    lines.append("=" * width)
    return "\n".join(lines) + "\n"
