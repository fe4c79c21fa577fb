"""For the technician: the link's settings, a link test (ECHO) with its round trip, the link
counters and the last frames in trace form. Everything that asks the client runs in a worker."""

from __future__ import annotations

import logging
from dataclasses import fields
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult

from screens.keypad import BACK, SCROLL_DOWN, SCROLL_UP, FieldGrid, Key, KeypadScreen, field_widgets
from screens.messages import LinkState, LinkTested
from screens.prose import Prose
from terminal.catalogue import N_, full_time

if TYPE_CHECKING:
    from terminal.plugin_api import PluginContext

log = logging.getLogger("pos_terminal.screens")

TRACE_LINES = 12

# The counters as the technician reads them, in protocol/link.py's LinkCounters order.
COUNTER_KEYS = {
    "frames_in": N_("tech.counter.frames_in"),
    "frames_out": N_("tech.counter.frames_out"),
    "acks_in": N_("tech.counter.acks_in"),
    "acks_out": N_("tech.counter.acks_out"),
    "naks_in": N_("tech.counter.naks_in"),
    "naks_out": N_("tech.counter.naks_out"),
    "resends": N_("tech.counter.resends"),
    "noise_bytes": N_("tech.counter.noise_bytes"),
    "bad_frames": N_("tech.counter.bad_frames"),
    "abandoned_frames": N_("tech.counter.abandoned_frames"),
    "duplicates": N_("tech.counter.duplicates"),
    "send_failures": N_("tech.counter.send_failures"),
}


HEX_SHOWN = 32  # hex digits of a frame's raw bytes shown after its decoded form


def screen_trace_line(line: str) -> str:
    """A trace line with its raw hex cut short: the decoded frame is what a technician reads
    here (the whole hex is in `pos-sim trace` captures), and a 1 KiB frame's hex would fill
    pages of a 40-column screen."""
    text, bar, raw = line.rpartition(" | ")
    if not bar or " " in raw:
        return line
    return f"{text} | {raw[:HEX_SHOWN]}…" if len(raw) > HEX_SHOWN else line


def _ms(seconds: float) -> str:
    return f"{round(seconds * 1000)} ms"


class TechnicianScreen(KeypadScreen):
    CSS_PATH = "technician.tcss"
    TITLE = N_("tech.title")

    def __init__(self, context: PluginContext) -> None:
        super().__init__(context)
        self.testing = False

    def body(self) -> ComposeResult:
        # Any client will do (the shell's contract is HostClient's methods), so every setting
        # is looked up with a fallback.
        client = self.context.client
        line = getattr(client, "line", None)
        timers = getattr(client, "timers", None)
        settings = [
            (self.t("tech.port"), str(getattr(line, "url", None) or "-")),
            (self.t("tech.baud"), str(getattr(client, "baud", None) or "-")),
        ]
        if timers is not None:
            settings += [
                ("T_CHAR", _ms(timers.t_char)),
                ("T_ACK", _ms(timers.t_ack)),
                ("T_RESP", _ms(timers.t_resp)),
            ]
        yield Prose(self.t("tech.link"), classes="tech-heading")
        yield FieldGrid(*field_widgets(settings), id="tech-settings")
        yield Prose(self.t("tech.test"), classes="tech-heading")
        yield Prose(self.t("tech.test_hint"), id="tech-echo")
        yield Prose(self.t("tech.counters"), classes="tech-heading")
        yield FieldGrid(id="tech-counters")
        yield Prose(self.t("tech.trace"), classes="tech-heading")
        yield Prose("", id="tech-trace")

    def keys(self) -> list[Key]:
        keys = [] if self.testing else [Key("1", "echo", N_("key.link_test"))]
        return [*keys, Key("2", "refresh", N_("key.refresh")), SCROLL_UP, SCROLL_DOWN, BACK]

    def on_mount(self) -> None:
        self._read_link_state()

    # -- workers

    @work(thread=True, exclusive=True, group="echo")
    def _echo(self) -> None:
        try:
            echo = self.context.client.echo()
        except Exception as exc:  # noqa: BLE001 - a failed test is the test's answer
            self.post_message(LinkTested(None, exc))
        else:
            self.post_message(LinkTested(echo))

    @work(thread=True, exclusive=True, group="link-state")
    def _read_link_state(self) -> None:
        client = self.context.client
        try:
            self.post_message(LinkState(client.counters, list(client.trace_lines(TRACE_LINES))))
        except Exception:  # noqa: BLE001 - a client without counters shows none
            log.exception("reading link counters")

    # -- news

    def on_link_tested(self, message: LinkTested) -> None:
        self.testing = False
        echo = self.query_one("#tech-echo", Prose)
        if message.echo is not None:
            echo.update(
                self.t(
                    "tech.test_ok",
                    ms=round(message.echo.round_trip * 1000),
                    host_time=full_time(message.echo.host_time, self.locale),
                )
            )
            echo.set_classes("-good")
        else:
            echo.update(self.t("tech.test_failed", error=str(message.error) or type(message.error).__name__))
            echo.set_classes("-bad")
        self.refresh_keys()
        self._read_link_state()

    def on_link_state(self, message: LinkState) -> None:
        counters = self.query_one("#tech-counters", FieldGrid)
        counters.remove_children()
        counters.mount_all(
            field_widgets(
                (self.t(label), str(getattr(message.counters, name)))
                for name, label in COUNTER_KEYS.items()
                if name in {f.name for f in fields(message.counters)}
            )
        )
        trace = "\n".join(map(screen_trace_line, message.trace)) if message.trace else self.t("tech.no_trace")
        self.query_one("#tech-trace", Prose).update(trace)

    # -- keys

    def key_echo(self) -> None:
        self.testing = True
        echo = self.query_one("#tech-echo", Prose)
        echo.update(self.t("tech.testing"))
        echo.set_classes("")
        self.refresh_keys()
        self._echo()

    def key_refresh(self) -> None:
        self._read_link_state()
