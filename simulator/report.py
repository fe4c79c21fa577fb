"""What the host did, from its store (`pos-sim report`): cancellations by reason and service, fees,
refusals, and every answered CANCEL_REQ one by one (`pos-sim db show` lists an appointment's so).

Counted from the stored CANCEL_RESPs; a repeat of a REQUEST_ID was answered from the store and
is counted once, as it cancelled nothing more. ERRORs (BUSY, BAD_MAC, ...) are never stored, so
they are not here.
"""

from __future__ import annotations

import enum
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from protocol.enums import CURRENCY_CNY, Result
from simulator.store import Cancellation
from terminal.catalogue import format_money


@dataclass(frozen=True)
class HostReport:
    cancellations: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    by_service: dict[str, int] = field(default_factory=dict)
    fees_charged: int = 0  # cancellations that cost something
    fees_total: int = 0  # fen
    refusals: dict[str, int] = field(default_factory=dict)  # CANCEL_RESP results other than OK
    requests: tuple[Cancellation, ...] = ()  # every answered CANCEL_REQ, in the order decided


def build_report(cancellations: list[Cancellation]) -> HostReport:
    done = [c for c in cancellations if c.result is Result.OK]
    charged = [c.fee_charged or 0 for c in done if c.fee_charged]
    return HostReport(
        cancellations=len(done),
        by_reason=_names(Counter(c.reason.name for c in done)),
        by_service=_names(Counter(c.service.name for c in done if c.service is not None)),
        fees_charged=len(charged),
        fees_total=sum(charged),
        refusals=_names(Counter(c.result.name for c in cancellations if c.result is not Result.OK)),
        requests=tuple(cancellations),
    )


def _names(counts: Counter[str]) -> dict[str, int]:
    """Most first, then by name, so two reports of the same store read the same."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def format_report(report: HostReport) -> str:
    lines = [f"Cancellations: {report.cancellations}"]
    lines += _section("by reason", report.by_reason)
    lines += _section("by service", report.by_service)
    if report.fees_charged:
        lines.append(f"Fees charged: {report.fees_charged} ({format_money(report.fees_total)} in total)")
    else:
        lines.append("No fees charged")
    lines.append(f"Refused: {sum(report.refusals.values())}")
    lines += _section("by result", report.refusals)
    if report.requests:
        lines += ["", f"Cancel requests one by one ({len(report.requests)} answered, in the order decided):"]
        lines += requests_table(report.requests, naming="appointment")
    return "\n".join(lines)


def report_json(report: HostReport) -> str:
    document: dict[str, Any] = {item.name: getattr(report, item.name) for item in fields(report)}
    document["requests"] = [request_json(request) for request in report.requests]
    return json.dumps(document, ensure_ascii=False, indent=2)


def _section(title: str, counts: dict[str, int]) -> list[str]:
    if not counts:
        return []
    width = max(len(name) for name in counts)
    return [f"  {title}:"] + [f"    {words(name):<{width}}  {count}" for name, count in counts.items()]


# -- the answered requests, one a line ------------------------------------------------------------


def requests_table(requests: Sequence[Cancellation], *, naming: str) -> list[str]:
    """A line for each request, under a heading, with the appointment it named (`naming="appointment"`)
    or its REQUEST_ID (`naming="request id"`) in the third column."""
    return aligned([("time", "terminal", naming, "reason", "result", "fee", "cancel ref"), *request_rows(requests, naming=naming)])


def request_rows(requests: Sequence[Cancellation], *, naming: str) -> list[tuple[str, ...]]:
    """requests_table's cells, one tuple a request."""
    rows = []
    for request in requests:
        named = request.appt_id if naming == "appointment" else request.request_id
        rows.append(
            (
                f"{request.decided_at:%Y-%m-%d %H:%M:%S}",
                request.tid,
                named,
                words(request.reason.name),
                "cancelled" if request.result is Result.OK else words(request.result.name),
                fee_words(request),
                request.cancel_ref or "",
            )
        )
    return rows


def aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells as indented lines, each column as wide as its widest cell."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]


def request_json(request: Cancellation) -> dict[str, Any]:
    """Every stored field: enums by their protocol names, times in ISO 8601, money in fen."""
    return {item.name: _json_value(getattr(request, item.name)) for item in fields(request)}


def words(name: str) -> str:
    """A protocol name as words: NO_LONGER_NEEDED -> no longer needed."""
    return name.lower().replace("_", " ")


def fee_words(request: Cancellation) -> str:
    """The fee a request was charged ("free", "¥50.00"), or the fee a FEE_CHANGED refusal asked."""
    if request.result is Result.OK:
        return format_money(request.fee_charged, request.currency or CURRENCY_CNY) if request.fee_charged else "free"
    if request.fee is not None:  # FEE_CHANGED quotes the fee it would take
        return f"asked {format_money(request.fee, request.currency or CURRENCY_CNY)}"
    return ""


def _json_value(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, datetime):
        return value.isoformat()
    return value
