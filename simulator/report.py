"""What the host did, from its store (`pos-sim report`): cancellations by reason and service, fees, refusals.

Counted from the stored CANCEL_RESPs; a repeat of a REQUEST_ID was answered from the store and
is counted once, as it cancelled nothing more. ERRORs (BUSY, BAD_MAC, ...) are never stored, so
they are not here.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field

from protocol.enums import Result
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
    )


def _names(counts: Counter[str]) -> dict[str, int]:
    """Most first, then by name, so two reports of the same store read the same."""
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def format_report(report: HostReport) -> str:
    lines = [f"Cancellations: {report.cancellations}"]
    lines += _section("by reason", report.by_reason)
    lines += _section("by service", report.by_service)
    lines.append(f"Fees charged: {report.fees_charged} ({format_money(report.fees_total)} in total)")
    lines.append(f"Refused: {sum(report.refusals.values())}")
    lines += _section("by result", report.refusals)
    return "\n".join(lines)


def report_json(report: HostReport) -> str:
    return json.dumps(asdict(report), indent=2)


def _section(title: str, counts: dict[str, int]) -> list[str]:
    if not counts:
        return []
    width = max(len(name) for name in counts)
    return [f"  {title}:"] + [f"    {name.lower().replace('_', ' '):<{width}}  {count}" for name, count in counts.items()]
