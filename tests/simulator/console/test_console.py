"""pos-sim console driven by keys (Pilot): every panel on a live host (a real HostServer on a pty
cable, a real HostClient at the other end), every fault set and cleared, the clock stepped, an
appointment made booked again, the data file reloaded, and the traffic log's follow, pause,
filter, cap and bytes."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from protocol import Reason, Status
from protocol.link import TraceRecord
from simulator.console.app import build_console
from simulator.console.dialogs import AskNumber, Confirm, FrameBytes
from simulator.console.traffic_panel import TrafficPanel
from simulator.faults import Fault, FaultBoard, FaultKind
from simulator.host_activity import HostActivity
from simulator.host_clock import ClockMode
from tests.simulated_host import FREE, appointment, data_around
from tests.simulator.console.console_steps import run, table_rows, text_of, wait_for, wait_until
from tests.simulator.console.fixed_host import NOW, PORTS, WALL, fixed_console


def console_on(live, **changes):
    return build_console(live.server, clock=live.clock, faults=live.faults, activity=live.activity,
                         data_path="appointments.toml", wall=lambda: WALL, **changes)


def header(pilot: Pilot) -> str:
    return text_of(pilot.app.header)


# -- the header, lines and traffic on a live host


def test_an_echo_shows_on_the_lines_panel_and_in_traffic_and_enter_shows_its_bytes(live, client) -> None:
    app = console_on(live)

    async def scenario(pilot: Pilot) -> None:
        assert "host 2026-11-27 09:30:00 frozen" in header(pilot)
        assert "answering normally" in header(pilot) and "lines 1/1 open" in header(pilot)
        await asyncio.to_thread(client.echo)
        lines = pilot.app.lines_panel
        await wait_until(pilot, lambda: table_rows(lines.query_one(DataTable))[0][4:6] == ["1", "1"], "1 frame each way")
        [row] = table_rows(lines.query_one(DataTable))
        assert row[:4] == ["1", live.server.ports[0], "open", "115200"]

        await pilot.press("2")
        traffic = pilot.app.traffic_panel
        await wait_for(pilot, lambda: traffic, "ECHO_RESP")
        rows = table_rows(traffic.query_one(DataTable))
        request = next(row for row in rows if "FRAME ECHO_REQ" in row[4])
        assert request[2:4] == ["1", "<-"] and "tid=TEST0001" in request[4]
        assert any(row[3] == "->" and "ECHO_RESP" in row[4] and "RESULT = 0 (OK)" in row[4] for row in rows)
        table = traffic.query_one(DataTable)
        table.move_cursor(row=rows.index(request))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, FrameBytes), "the bytes dialog")
        shown = text_of(pilot.app.screen)
        entry = pilot.app.screen.entry
        assert entry.record.data[:1] == b"\x02" and entry.record.data.hex(" ")[:47] in shown
        assert "terminal -> host" in shown and "ECHO_REQ" in shown
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, FrameBytes), "the dialog closed")

    run(app, scenario)


def test_a_cancel_shows_in_appointments_and_cancellations(live, client) -> None:
    app = console_on(live)

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("3")
        panel = pilot.app.appointments_panel
        await wait_for(pilot, lambda: panel, "Cancellations: none yet")
        outcome = await asyncio.to_thread(client.cancel, FREE, Reason.WILL_REBOOK, 0)
        await wait_for(pilot, lambda: panel, "Cancellations answered: 1")
        assert f"{FREE}  cancelled" in text_of(panel)
        assert outcome.attempt.cancel_ref in text_of(panel)

    run(app, scenario)


def test_the_lines_panel_says_why_a_line_is_lost() -> None:
    async def scenario(pilot: Pilot) -> None:
        shown = text_of(pilot.app.lines_panel)
        assert "1  /dev/ttyUSB0  open  115200  3  3  1/0  1" in shown
        assert "line 2 (/dev/ttyUSB1) lost: [Errno 2] could not open port" in shown

    run(fixed_console(), scenario)


def test_the_lines_panel_shows_the_hosts_latest_notes() -> None:
    activity = HostActivity(wall=lambda: WALL)
    for number in range(1, 9):
        activity.note(f"note {number}")

    async def scenario(pilot: Pilot) -> None:
        await wait_for(pilot, lambda: pilot.app.lines_panel, "note 8")
        shown = text_of(pilot.app.lines_panel)
        assert "The host's latest notes:" in shown and f"{WALL:%H:%M:%S} note 3" in shown
        assert "note 2" not in shown  # the latest six only
        activity.note("/dev/ttyUSB0: refused SEQ 4 from NOBODY01: UNKNOWN_TERMINAL (no key)")
        await wait_for(pilot, lambda: pilot.app.lines_panel, "UNKNOWN_TERMINAL (no key)")
        assert "note 3" not in text_of(pilot.app.lines_panel)

    run(fixed_console(activity=activity), scenario)


# -- traffic: follow and pause, filter by line, the cap


def feed(activity: HostActivity, url: str, count: int) -> None:
    for _ in range(count):
        activity.traced(url, TraceRecord(0.0, "rx", "ack", b"\x06"))


def test_pause_holds_the_table_still_and_follow_brings_what_came_meanwhile() -> None:
    activity = HostActivity(traffic_cap=100, wall=lambda: WALL)
    activity.line_opened(PORTS[0], 115200)
    feed(activity, PORTS[0], 3)

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("2")
        traffic: TrafficPanel = pilot.app.traffic_panel
        table = traffic.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 3, "3 rows")
        assert "following the newest" in text_of(traffic) and table.cursor_row == 2
        await pilot.press("f")
        feed(activity, PORTS[0], 4)
        await wait_for(pilot, lambda: traffic, "PAUSED, 4 newer waiting")
        assert table.row_count == 3
        await pilot.press("f")
        await wait_until(pilot, lambda: table.row_count == 7, "the 4 held rows shown")
        assert table.cursor_row == 6 and "following the newest" in text_of(traffic)

    run(fixed_console(activity=activity), scenario)


def test_the_line_filter_shows_one_line_then_the_next_then_all() -> None:
    activity = HostActivity(traffic_cap=100, wall=lambda: WALL)
    feed(activity, PORTS[0], 2)
    feed(activity, PORTS[1], 3)

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("2")
        traffic = pilot.app.traffic_panel
        table = traffic.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 5, "all 5 rows")
        await pilot.press("l")
        assert table.row_count == 2 and {row[2] for row in table_rows(table)} == {"1"}
        assert "line 1 only (/dev/ttyUSB0)" in text_of(traffic)
        await pilot.press("l")
        assert table.row_count == 3 and {row[2] for row in table_rows(table)} == {"2"}
        feed(activity, PORTS[0], 1)
        feed(activity, PORTS[1], 1)
        await wait_until(pilot, lambda: table.row_count == 4, "only line 2's new row")
        await pilot.press("l")
        assert table.row_count == 7 and "all lines" in text_of(traffic)

    run(fixed_console(activity=activity), scenario)


def test_the_traffic_table_keeps_at_most_the_cap_and_says_how_many_were_dropped() -> None:
    activity = HostActivity(traffic_cap=10, wall=lambda: WALL)
    feed(activity, PORTS[0], 4)

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("2")
        traffic = pilot.app.traffic_panel
        table = traffic.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 4, "4 rows")
        feed(activity, PORTS[0], 30)  # more than the feed keeps between two polls
        await wait_until(pilot, lambda: traffic.received + traffic.missed == 34, "all 34 accounted for")
        assert table.row_count <= 10
        assert table_rows(table)[-1][0] == "34"
        assert f"keeps the newest 10; {34 - len(traffic.kept)} older dropped" in text_of(traffic)

    run(fixed_console(activity=activity), scenario)


# -- faults: each one by its key


def faults_app(board: FaultBoard):
    return fixed_console(faults=board)


SIMPLE = [
    ("b", Fault(FaultKind.BUSY)),
    ("n", Fault(FaultKind.LOSE_ANSWER)),
    ("j", Fault(FaultKind.JUNK)),
    ("x", Fault(FaultKind.SILENT, once=False)),
]


@pytest.mark.parametrize(("key", "fault"), SIMPLE, ids=[fault.kind.value for _key, fault in SIMPLE])
@pytest.mark.parametrize("lasting", ["once", "until cleared"])
def test_each_fault_without_a_number_is_set_by_its_key_and_shown(key: str, fault: Fault, lasting: str) -> None:
    board = FaultBoard()
    expected = fault if lasting == "once" or fault.kind is FaultKind.SILENT else Fault(fault.kind, once=False)

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("4")
        if lasting != "once":
            await pilot.press("o")
            assert "every answer until cleared" in text_of(pilot.app.faults_panel)
        await pilot.press(key)
        assert board.active == expected
        await wait_for(pilot, lambda: pilot.app.header, expected.describe())
        assert f"Now: {expected.describe()}" in text_of(pilot.app.faults_panel)
        await pilot.press("c")
        assert board.active is None
        await wait_for(pilot, lambda: pilot.app.header, "answering normally")

    run(faults_app(board), scenario)


def test_a_fault_can_wait_for_the_next_cancel_and_says_so() -> None:
    board = FaultBoard()

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("4", "a")
        assert "the next cancel answer only" in text_of(pilot.app.faults_panel)
        await pilot.press("n")
        expected = Fault(FaultKind.LOSE_ANSWER, cancels_only=True)
        assert board.active == expected
        await wait_for(pilot, lambda: pilot.app.header, "next cancel answer")
        assert board.take() == () and board.active == expected  # a LIST's answer is spared
        await pilot.press("a")
        assert "the next answer only" in text_of(pilot.app.faults_panel)

    run(faults_app(board), scenario)


def test_enter_sets_the_highlighted_fault() -> None:
    board = FaultBoard()

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("4", "down", "down", "enter")  # b, p, n: lose the next answer
        assert board.active == Fault(FaultKind.LOSE_ANSWER)

    run(faults_app(board), scenario)


async def answer(pilot: Pilot, text: str) -> None:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, AskNumber), "the number dialog")
    await pilot.press("ctrl+a", "ctrl+k", *text, "enter")


@pytest.mark.parametrize(
    ("key", "typed", "fault"),
    [
        ("p", "0.25", Fault(FaultKind.BUSY, once=False, share=0.25)),
        ("p", "100%", Fault(FaultKind.BUSY, once=False, share=1.0)),
        ("l", "2500", Fault(FaultKind.LATE, milliseconds=2500)),
        ("s", "40", Fault(FaultKind.SPLIT, milliseconds=40)),
    ],
    ids=["busy-share", "busy-all", "late", "split"],
)
def test_a_fault_with_a_number_asks_for_it(key: str, typed: str, fault: Fault) -> None:
    board = FaultBoard()

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("4", key)
        await answer(pilot, typed)
        await wait_until(pilot, lambda: board.active == fault, fault.describe())
        await wait_for(pilot, lambda: pilot.app.header, fault.describe()[:20])

    run(faults_app(board), scenario, size=(120, 40))


@pytest.mark.parametrize(("preset", "milliseconds"), [(0, 100), (1, 400)], ids=["below-t-char", "above-t-char"])
def test_split_offers_a_gap_below_and_above_t_char(preset: int, milliseconds: int) -> None:
    board = FaultBoard()

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("4", "s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, AskNumber), "the number dialog")
        assert "T_CHAR is 200 ms" in text_of(pilot.app.screen)
        await pilot.press(*["tab"] * (preset + 1), "enter")
        await wait_until(pilot, lambda: board.active == Fault(FaultKind.SPLIT, milliseconds=milliseconds), "split")

    run(faults_app(board), scenario)


@pytest.mark.parametrize(
    ("key", "typed", "says"),
    [
        ("l", "soon", "'soon' is not a whole number of milliseconds"),
        ("l", "-5", "-5 ms is outside the range"),
        ("p", "1.5", "1.5 is outside the range: a share is above 0 and at most 1"),
        ("p", "0", "0 is outside the range"),
        ("p", "half", "'half' is not a number"),
    ],
)
def test_bad_input_says_what_is_wrong_and_changes_nothing(key: str, typed: str, says: str) -> None:
    board = FaultBoard()
    board.set(Fault(FaultKind.JUNK, once=False))
    before = board.active

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("4", key)
        await answer(pilot, typed)
        await wait_for(pilot, lambda: pilot.app.screen, says)
        assert "Nothing was changed" in text_of(pilot.app.screen)
        assert isinstance(pilot.app.screen, AskNumber) and board.active == before
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, AskNumber), "the dialog closed")
        assert board.active == before

    run(faults_app(board), scenario)


def test_a_once_fault_used_up_by_the_host_no_longer_shows() -> None:
    board = FaultBoard()

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("4", "b")
        await wait_for(pilot, lambda: pilot.app.header, "ERROR BUSY (next answer)")
        assert board.take() == (Fault(FaultKind.BUSY),)  # as the serving loop takes it for an answer
        await wait_for(pilot, lambda: pilot.app.header, "answering normally")
        assert "answers changed by faults so far: 1" in text_of(pilot.app.faults_panel)

    run(faults_app(board), scenario)


# -- the clock


def test_clock_keys_move_the_host_clock_and_show() -> None:
    app = fixed_console()
    clock = app.clock

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("5", "plus")
        assert clock.now() == NOW + timedelta(hours=1)
        await wait_for(pilot, lambda: pilot.app.header, "host 2026-11-27 10:30:00 frozen")
        await pilot.press("d")
        assert clock.now() == NOW + timedelta(days=1, hours=1)
        await pilot.press("minus")
        assert clock.now() == NOW + timedelta(days=1)
        await wait_for(pilot, lambda: pilot.app.clock_panel, "From the machine: +23:59:48")
        await pilot.press("r")
        assert clock.mode is ClockMode.OFFSET
        await wait_for(pilot, lambda: pilot.app.header, "offset")
        await pilot.press("f")
        assert clock.mode is ClockMode.FROZEN and clock.now() == NOW + timedelta(days=1)
        await pilot.press("0")
        assert clock.mode is ClockMode.REAL and clock.now() == WALL
        await wait_for(pilot, lambda: pilot.app.clock_panel, "real: the machine's clock")

    run(app, scenario)


def test_stepping_the_clock_past_free_until_makes_the_next_list_show_the_fee(live, client) -> None:
    app = console_on(live)

    async def scenario(pilot: Pilot) -> None:
        fees = {a.appt_id: a.fee for a in (await asyncio.to_thread(client.list_appointments)).appointments}
        assert fees[FREE] == 0
        await pilot.press("5", "d", "plus")  # FREE is free for 24 h more
        await pilot.press("3")
        await wait_for(pilot, lambda: pilot.app.appointments_panel, "¥50.00 until 2026-11-29 07:30")
        fees = {a.appt_id: a.fee for a in (await asyncio.to_thread(client.list_appointments)).appointments}
        assert fees[FREE] == 5000

    run(app, scenario)


# -- data: booked again, reload


def test_an_appointment_is_made_booked_again_after_a_confirm(live, client) -> None:
    app = console_on(live)

    async def scenario(pilot: Pilot) -> None:
        await asyncio.to_thread(client.cancel, FREE, Reason.WILL_REBOOK, 0)
        await pilot.press("6")
        panel = pilot.app.data_panel
        await wait_for(pilot, lambda: panel, f"{FREE}  cancelled")
        table = panel.query_one(DataTable)
        table.move_cursor(row=[row[0] for row in table_rows(table)].index(FREE))
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, Confirm), "the confirm dialog")
        await pilot.press("n")
        await wait_for(pilot, lambda: panel, "Nothing was changed.")
        assert {a.appt_id: a.status for a in live.server.appointments()}[FREE] is Status.CANCELLED
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, Confirm), "the confirm dialog")
        await pilot.press("y")
        await wait_for(pilot, lambda: panel, f"{FREE} is booked again")
        assert {a.appt_id: a.status for a in live.server.appointments()}[FREE] is Status.BOOKED
        await wait_for(pilot, lambda: panel, f"{FREE}  booked")

    run(app, scenario)


def test_reload_reads_the_data_file_again_and_says_what_it_loaded(live) -> None:
    app = console_on(live)
    data = data_around(NOW)
    live.data[0] = replace(data, appointments=(*data.appointments, appointment("A5NEW", hours_ahead=72, now=NOW)))

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("6", "r")
        panel = pilot.app.data_panel
        await wait_for(pilot, lambda: panel, "Reloaded appointments.toml: 1 appointments added")
        await wait_for(pilot, lambda: panel, "A5NEW")

    run(app, scenario)


def test_without_a_data_file_reload_says_there_is_nothing_to_reload() -> None:
    app = fixed_console()
    app.server.can_reload = False

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("6")
        assert "No data file" in text_of(pilot.app.data_panel)
        await pilot.press("r")
        assert "No data file" in text_of(pilot.app.data_panel)

    run(app, scenario)


def test_q_quits_with_exit_code_0() -> None:
    app = fixed_console()

    async def scenario(pilot: Pilot) -> None:
        await pilot.press("q")

    run(app, scenario)
    assert app.return_value == 0
