"""The console on fixed content, for snapshots: a stand-in for the serving host that answers the
console's store questions from fixed data, and an activity feed filled with fixed records. Nothing
on screen depends on the machine's clock or on which pty a run was given."""

from __future__ import annotations

from datetime import datetime, timedelta

from protocol import CancelRequest, CancelResponse, EchoRequest, EchoResponse, ErrorResponse, ListRequest, Reason, Result, Timers
from protocol.enums import ACK, NAK, Service
from protocol.frame import encode_message_frame
from protocol.link import TraceRecord
from simulator.console.app import ConsoleApp, build_console
from simulator.data import ServiceAppointment
from simulator.faults import FaultBoard
from simulator.host_activity import HostActivity
from simulator.host_clock import HostClock
from simulator.store import Cancellation, LoadSummary
from tests.material import KEY, MERCHANT_ID, TID
from tests.simulated_host import FREE, data_around

NOW = datetime(2026, 11, 27, 9, 30)  # the host's clock
WALL = datetime(2026, 11, 27, 9, 30, 12)  # the machine's
PORTS = ["/dev/ttyUSB0", "/dev/ttyUSB1"]
TIMERS = Timers(t_char=0.2, t_ack=0.5, t_resp=10.0)


class StandInHost:
    """What the console asks of a HostServer, from fixed data."""

    def __init__(self, appointments: list[ServiceAppointment], cancellations: list[Cancellation]) -> None:
        self.ports = PORTS
        self.timers = TIMERS
        self.baud = 115200
        self.can_reload = True
        self.store_path = "/var/lib/pos-sim/host.sqlite"
        self._appointments = appointments
        self._cancellations = cancellations

    def appointments(self) -> list[ServiceAppointment]:
        return list(self._appointments)

    def cancellations(self) -> list[Cancellation]:
        return list(self._cancellations)

    def reset_to_booked(self, appt_id: str) -> None:
        raise AssertionError("snapshots change nothing")

    def reload_data(self) -> LoadSummary:
        raise AssertionError("snapshots change nothing")


def fixed_cancellation() -> Cancellation:
    return Cancellation(
        tid=TID, request_id="7KQ2MX-0001", merchant_id=MERCHANT_ID, appt_id=FREE, reason=Reason.WILL_REBOOK,
        fee_accepted=0, operator_id="00", service=Service.INSTALLATION, result=Result.OK, cancel_ref="C7QH2K9P",
        fee_charged=0, fee=None, currency="CNY", timestamp=NOW - timedelta(minutes=3), message=None,
        decided_at=NOW - timedelta(minutes=3),
    )


def frame(message, seq: int) -> bytes:
    return encode_message_frame(message, seq=seq, tid=TID, key=KEY)


def fixed_activity() -> HostActivity:
    """Two lines (one open, one lost) and an ECHO, a LIST, a CANCEL and a BUSY refusal on line 1,
    and the host's notes of them."""
    moments = iter(WALL - timedelta(seconds=10) + timedelta(milliseconds=137 * n) for n in range(1000))
    activity = HostActivity(wall=lambda: next(moments))
    first, second = PORTS
    activity.line_waiting(first, 115200)
    activity.line_waiting(second, 115200)
    activity.line_opened(first, 115200)
    activity.line_lost(second, "[Errno 2] could not open port /dev/ttyUSB1: No such file or directory")
    exchanges = [
        (EchoRequest(NOW), EchoResponse(Result.OK, NOW)),
        (ListRequest(MERCHANT_ID, 0), ErrorResponse(Result.BUSY, "host busy, try again")),
        (CancelRequest(MERCHANT_ID, FREE, "7KQ2MX-0001", Reason.WILL_REBOOK, 0, "00", NOW),
         CancelResponse(Result.OK, "7KQ2MX-0001", FREE, "C7QH2K9P", 0, None, "CNY", NOW)),
    ]
    for seq, (request, response) in enumerate(exchanges, start=1):
        activity.traced(first, TraceRecord(0.0, "rx", "frame", frame(request, seq)))
        activity.traced(first, TraceRecord(0.0, "tx", "ack", bytes([ACK])))
        activity.traced(first, TraceRecord(0.0, "tx", "frame", frame(response, seq)))
        if seq == 2:
            activity.traced(first, TraceRecord(0.0, "rx", "nak", bytes([NAK]), "bad CRC"))
            activity.traced(first, TraceRecord(0.0, "tx", "resend", frame(response, seq)))
        activity.traced(first, TraceRecord(0.0, "rx", "ack", bytes([ACK])))
    activity.note(f"{second}: [Errno 2] could not open port; trying again, 5.0 s apart at most")
    activity.note(f"{first}: ERROR BUSY (next answer): applied to ListRequest SEQ 2 from TEST0001")
    return activity


def fixed_console(**changes) -> ConsoleApp:
    data = data_around(NOW)
    host = StandInHost(list(data.appointments), [fixed_cancellation()])
    clock = HostClock(fixed=NOW, wall=lambda: WALL)
    return build_console(
        host,  # type: ignore[arg-type]
        clock=clock,
        faults=changes.pop("faults", FaultBoard(seed=1)),
        activity=changes.pop("activity", None) or fixed_activity(),
        data_path="/etc/pos-sim/appointments.toml",
        wall=lambda: WALL,
    )

