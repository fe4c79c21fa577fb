"""The hardware-in-loop scenarios: link, list, cancel, lost response and unplug, run by the real
terminal client on the line tests/hil/conftest.py provides (ptys by default, real ports when
given). `uv run pytest -m hil` runs them alone; the default run includes them.

A lost response is a power cut: the terminal dies the moment the host has ACKed its request, so
the answer reaches a port nobody reads; the terminal's next start must settle it. That works the
same on any line and with any host, a provider's included.
"""

from __future__ import annotations

import time

import pytest

from protocol import Appointment, Reason, Result
from simulator.store import HostStore
from terminal.client import HostClient, LinkFailure, Progress
from terminal.journal import AttemptState, Journal
from terminal.settler import Settler
from tests.hil.conftest import APPOINTMENTS, NOW, HilLine

pytestmark = pytest.mark.hil


class PowerCut(Exception):
    """The terminal loses power (raised from a progress callback, so nothing after it runs)."""


@pytest.fixture
def journal(hil: HilLine):
    with Journal(hil.journal_path) as journal:
        yield journal


def cancellable(hil: HilLine, client: HostClient, scenario: str) -> Appointment | str:
    """The appointment a scenario may cancel: its own on our host; on a provider's host (only with
    --hil-allow-cancel) the first listed one that is free to cancel."""
    if not hil.can_cancel:
        pytest.skip("read-only against a provider host: give --hil-allow-cancel to cancel")
    if hil.own_host:
        return APPOINTMENTS[scenario].appt_id
    free = [a for a in client.list_appointments().appointments if a.fee == 0]
    if not free:
        pytest.skip("the provider host lists no appointment that is free to cancel")
    return free[0]


def host_cancellations(hil: HilLine, appt_id: str) -> list:
    with HostStore(hil.folder / "host.db", create=False) as store:
        return [c for c in store.cancellations() if c.appt_id == appt_id]


def test_link(hil: HilLine, journal: Journal) -> None:
    client = hil.client(journal)
    try:
        answers = [client.echo() for _ in range(3)]
    finally:
        client.close()
    assert all(0 < a.round_trip < client.exchange_bound() for a in answers)
    counters = client.counters
    assert (counters.frames_out, counters.frames_in, counters.send_failures) == (3, 3, 0)
    if hil.own_host:
        assert {a.host_time for a in answers} == {NOW}
    if hil.kind == "pty":  # a clean virtual line: nothing to resend
        assert counters.resends == counters.naks_in == counters.bad_frames == counters.noise_bytes == 0


def test_list(hil: HilLine, journal: Journal) -> None:
    client = hil.client(journal)
    try:
        page = client.list_appointments()
        beyond = client.list_appointments(page.page_count)
    finally:
        client.close()
    assert page.page == 0 and len(page.appointments) == min(page.total, 8)
    assert (beyond.total, beyond.appointments) == (page.total, ())
    times = [a.scheduled_at for a in page.appointments]
    assert times == sorted(times)  # earliest first (§4)
    if hil.own_host:
        fees = {a.appt_id: a.fee for a in page.appointments}
        # The scenarios that cancel may have run before: only the two never cancelled are certain.
        assert (fees["HIL-LATE"], fees["HIL-FEE"]) == (3000, 5000)
        assert set(fees) <= {a.appt_id for a in APPOINTMENTS.values()}


def test_cancel(hil: HilLine, journal: Journal) -> None:
    client = hil.client(journal)
    try:
        appointment = cancellable(hil, client, "cancel")
        done = client.cancel(appointment, Reason.OTHER, 0)
        again = client.cancel(appointment, Reason.OTHER, 0)
        if hil.own_host:
            fee = client.cancel(APPOINTMENTS["fee"].appt_id, Reason.OTHER, 0)
            late = client.cancel(APPOINTMENTS["late"].appt_id, Reason.OTHER, 10_000)
    finally:
        client.close()
    # A second device of the merchant (another journal: other REQUEST_IDs) asks for the same.
    with Journal.open(hil.folder / "second-device.sqlite") as second_journal:
        second_device = hil.client(second_journal)
        try:
            by_other = second_device.cancel(appointment, Reason.OTHER, 0)
        finally:
            second_device.close()
    assert done.state is AttemptState.CANCELLED and done.attempt.cancel_ref and done.attempt.fee_charged == 0
    # This terminal asked again: its journal has the voucher, and the host is not asked twice.
    assert again.earlier and again.attempt == done.attempt
    assert (by_other.state, by_other.attempt.result) == (AttemptState.REFUSED, Result.ALREADY_CANCELLED)
    assert journal.find_by_cancel_ref(done.attempt.cancel_ref) == done.attempt
    if hil.own_host:
        assert (fee.state, fee.attempt.result, fee.attempt.refused_fee) == (AttemptState.REFUSED, Result.FEE_CHANGED, 5000)
        assert (late.state, late.attempt.result) == (AttemptState.REFUSED, Result.TOO_LATE)
        [stored] = [c for c in host_cancellations(hil, done.attempt.appt_id) if c.result is Result.OK]
        assert stored.cancel_ref == done.attempt.cancel_ref


def cut_power(*_args: object) -> None:
    raise PowerCut()


def test_lost_response(hil: HilLine, journal: Journal) -> None:
    # A LIST_RESP lost: the next start gets its own answer; the old one, if it comes, is dropped.
    dying = hil.client(journal)
    with pytest.raises(PowerCut):
        dying.list_appointments(on_sent=cut_power)
    dying.close()
    restarted = hil.client(journal)
    try:
        assert restarted.list_appointments().page == 0
    finally:
        restarted.close()
    if not hil.can_cancel:
        return

    # A CANCEL_RESP lost: the journal holds the request; the next start settles it with STATUS_REQ.
    dying = hil.client(journal)
    appointment = cancellable(hil, dying, "lost")
    with pytest.raises(PowerCut):
        dying.cancel(appointment, Reason.OTHER, 0, on_progress=lambda stage: stage is Progress.SENT and cut_power())
    dying.close()
    [pending] = journal.unsettled()
    assert (pending.state, pending.send_count) == (AttemptState.PENDING, 1)
    restarted = hil.client(journal)
    try:
        [settled] = Settler(restarted).settle_open()
    finally:
        restarted.close()
    assert settled.state is AttemptState.CANCELLED and settled.attempt.send_count == 1  # not sent twice
    if hil.own_host:
        [stored] = host_cancellations(hil, pending.appt_id)
        assert (stored.request_id, stored.cancel_ref) == (pending.request_id, settled.attempt.cancel_ref)


def test_unplug(hil: HilLine, journal: Journal) -> None:
    if not hil.can_cancel or (hil.cable is None and not hil.own_host):
        pytest.skip("unplugging needs the suite's own host (--hil-host-port) or the pty cable")
    client = hil.client(journal, t_resp=2.0)
    try:
        client.echo()
        # Pulled just as the cancellation is being sent: it never reaches the host.
        pulled: list[bool] = []

        def pull(stage: Progress) -> None:
            if stage is Progress.SENDING and not pulled:
                pulled.append(True)
                hil.unplug()

        appt_id = APPOINTMENTS["unplug"].appt_id
        outcome = client.cancel(appt_id, Reason.OTHER, 0, on_progress=pull)
        assert pulled and outcome.state is AttemptState.UNKNOWN and outcome.attempt.send_count == 1
        with pytest.raises(LinkFailure):
            client.echo()

        hil.replug()
        # The client reopens its port after its backoff, the host after its own: settle once both have.
        deadline = time.monotonic() + 30
        while (settled := client.settle(outcome.attempt.request_id)).state is AttemptState.UNKNOWN:
            assert time.monotonic() < deadline, "the line never came back"
            time.sleep(0.3)
        client.echo()
    finally:
        client.close()
    # STATUS_REQ said UNKNOWN_REQUEST, so the same request went once more, and was carried out once.
    assert settled.state is AttemptState.CANCELLED and settled.attempt.send_count == 2
    [stored] = host_cancellations(hil, appt_id)
    assert stored.result is Result.OK and stored.cancel_ref == settled.attempt.cancel_ref
