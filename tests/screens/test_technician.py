"""The technician screen: link settings, the ECHO link test with its round trip, counters, the
last trace lines, and a refresh key."""

from __future__ import annotations

from screens.technician import TechnicianScreen
from terminal.client import LinkFailure
from tests.screens.pilot_steps import press, run, screen_text, skip_pin, wait_for_screen, wait_for_text


def test_link_test_shows_the_round_trip_and_counters(make_app, client) -> None:
    client.echo_script.append(LinkFailure("the host did not answer in time"))

    async def scenario(pilot) -> None:
        await skip_pin(pilot)
        await press(pilot, "3")
        tech = await wait_for_screen(pilot, TechnicianScreen)
        await wait_for_text(pilot, "09:29:58.402 <- FRAME LIST_RESP seq=5 tid=TEST0001: RESULT = 0 (OK)")
        text = screen_text(tech)
        assert "socket://127.0.0.1:7001" in text and "115200" in text and "10000 ms" in text
        assert "噪声字节" in text
        await press(pilot, "1")
        await wait_for_text(pilot, "失败：the host did not answer in time")
        await press(pilot, "1")
        await wait_for_text(pilot, "正常：往返 12 ms，主机时间 2026年11月27日 09:30:00")
        client._counters.resends = 7
        await press(pilot, "2")
        await wait_for_text(pilot, "重发\n7")
        await press(pilot, "escape")

    run(make_app(), scenario)
    assert client.echo_calls == 2


def test_trace_lines_keep_the_decoded_frame_and_a_short_hex() -> None:
    from screens.technician import screen_trace_line

    line = "12:00:00.000 <- FRAME ECHO_RESP seq=4 tid=T: RESULT = 0 (OK) | " + "ab" * 100
    assert screen_trace_line(line) == "12:00:00.000 <- FRAME ECHO_RESP seq=4 tid=T: RESULT = 0 (OK) | " + "ab" * 16 + "…"
    assert screen_trace_line("12:00:00.000 <- ACK") == "12:00:00.000 <- ACK"
    assert screen_trace_line("12:00:00.000 <- NOISE | 0a0b") == "12:00:00.000 <- NOISE | 0a0b"
