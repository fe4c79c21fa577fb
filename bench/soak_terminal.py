"""The terminal side of bench/soak.py: one long-lived process holding the REAL journal and the REAL
HostClient, running cancellations on command, so that the soak can SIGKILL it at any point of an
exchange and start another on the same journal (which first runs Settler.settle_open()).

It speaks JSON lines: commands on stdin, events on stdout.

  start-up            -> {"ev": "ready", "pid", "op": "settle_unsettled", "elapsed", "bound", "outcomes"}
  {"op": "cancel", "port", "appt", "reason", "fee"}
                      -> {"ev": "progress", "stage"} ... then {"ev": "done", "op", "elapsed", "bound",
                         "attempt" | "error"}
  {"op": "settle", "port", "rid"}    -> as cancel
  {"op": "quit"}

Every CANCEL_REQ and STATUS_REQ that leaves is tapped on its way to the line (bench.soak's
invariant 1): the tap parses the outgoing frame, looks the REQUEST_ID up in the journal through a
connection of its own (read only) and appends one JSON line to --tap before the bytes are written:
the request, the state of every attempt for the same appointment at that moment, and a
"violation" when the request was not journaled first, or when an earlier attempt for the same
appointment was still unsettled while a new REQUEST_ID went out.

Not a test and not part of the product: a bench helper, run as a script.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sqlite3
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from protocol import CancelRequest, MessageType, Reason, Result, StatusRequest, Timers  # noqa: E402
from protocol.frame import parse_envelope  # noqa: E402
from protocol.framer import FrameReader, GoodFrame  # noqa: E402
from terminal.client import HostClient, LinkFailure  # noqa: E402
from terminal.journal import Attempt, Journal  # noqa: E402
from terminal.settler import Settler  # noqa: E402
from terminal.transport import SerialLine  # noqa: E402

UNSETTLED = ("pending", "unknown")


def attempt_json(attempt: Attempt) -> dict:
    return {
        "rid": attempt.request_id,
        "appt": attempt.appt_id,
        "state": attempt.state.value,
        "result": None if attempt.result is None else attempt.result.name,
        "fee_accepted": attempt.fee_accepted,
        "cancel_ref": attempt.cancel_ref,
        "fee_charged": attempt.fee_charged,
        "refused_fee": attempt.refused_fee,
        "sends": attempt.send_count,
        "settled_at": None if attempt.settled_at is None else attempt.settled_at.isoformat(),
    }


class Tap:
    """Looks at every request frame the client writes, before it is written."""

    def __init__(self, journal_path: Path, log_path: Path) -> None:
        self._db = sqlite3.connect(f"file:{journal_path}?mode=ro", uri=True, isolation_level=None)
        self._fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def _rows(self, appt_id: str) -> list[tuple]:
        return self._db.execute(
            "SELECT id, request_id, state, settled_at FROM attempt WHERE appt_id = ? ORDER BY id", (appt_id,)
        ).fetchall()

    def _own(self, request_id: str) -> tuple | None:
        return self._db.execute(
            "SELECT id, appt_id, state FROM attempt WHERE request_id = ?", (request_id,)
        ).fetchone()

    def outgoing(self, data: bytes) -> None:
        reader = FrameReader(t_char=1e9)
        reader.receive_data(data, 0.0)
        while (event := reader.next_event()) is not None:
            if not isinstance(event, GoodFrame):
                continue
            envelope = parse_envelope(event.body)
            if envelope.type not in (MessageType.CANCEL_REQ, MessageType.STATUS_REQ):
                continue
            message = envelope.message()
            record: dict = {
                "wall": datetime.now().isoformat(),
                "pid": os.getpid(),
                "seq": envelope.seq,
                "tid": envelope.tid,
                "rid": message.request_id,  # type: ignore[union-attr]
            }
            if isinstance(message, CancelRequest):
                record["kind"] = "CANCEL_REQ"
                record["appt"] = message.appt_id
                own = self._own(message.request_id)
                rows = self._rows(message.appt_id)
                record["attempts"] = [[rid, state, settled_at] for _id, rid, state, settled_at in rows]
                problems = []
                if own is None:
                    problems.append("CANCEL_REQ sent for a REQUEST_ID that is not in the journal")
                elif own[1] != message.appt_id:
                    problems.append(f"REQUEST_ID journaled for {own[1]}, sent for {message.appt_id}")
                else:
                    for row_id, rid, state, _settled in rows:
                        if row_id < own[0] and state in UNSETTLED:
                            problems.append(f"new REQUEST_ID sent while {rid} is still {state}")
                    if own[2] not in UNSETTLED:
                        problems.append(f"CANCEL_REQ sent again for {message.request_id}, already {own[2]}")
                if problems:
                    record["violation"] = "; ".join(problems)
            elif isinstance(message, StatusRequest):
                record["kind"] = "STATUS_REQ"
            os.write(self._fd, (json.dumps(record) + "\n").encode())


class TappedLine(SerialLine):
    def __init__(self, url: str, baud: int, tap: Tap) -> None:
        super().__init__(url, baud)
        self._tap = tap

    def write(self, data: bytes) -> None:
        if data and 0x02 in data:
            self._tap.outgoing(data)
        super().write(data)


class Worker:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.journal = Journal(args.journal)
        self.tap = Tap(Path(args.journal), Path(args.tap))
        self.port = args.port
        self.client = HostClient(
            tid=args.tid,
            merchant_id=args.merchant,
            operator_id="01",
            key=bytes.fromhex(os.environ["SOAK_TERMINAL_KEY"]),
            line=TappedLine(args.port, args.baud, self.tap),
            journal=self.journal,
            timers=Timers(t_char=args.t_char_ms / 1000, t_ack=args.t_ack_ms / 1000, t_resp=args.t_resp_ms / 1000),
            baud=args.baud,
            settle_backoff=tuple(float(x) / 1000 for x in args.settle_backoff_ms.split(",")),
        )

        if args.sabotage == "give-up":
            self.sabotage_give_up()

    def sabotage_give_up(self) -> None:
        """For checking the checker (tests/soak): a client that takes every unknown outcome for
        "not cancelled" instead of settling it. The soak must report what that breaks."""
        client = self.client

        def give_up(attempt: Attempt, _progress) -> object:
            client.journal.mark_refused(attempt.request_id, Result.UNKNOWN_REQUEST, datetime.now(), message="gave up")
            return client._outcome(attempt)

        client._settle = give_up  # type: ignore[method-assign]

    def emit(self, event: dict) -> None:
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()

    def use_port(self, port: str | None) -> None:
        if port and port != self.port:
            self.client.close()
            self.client.line = TappedLine(port, self.args.baud, self.tap)
            self.port = port

    def run_call(self, op: str, call, bound: float) -> None:
        started = time.monotonic()
        event: dict = {"ev": "done", "op": op, "bound": bound}
        try:
            result = call()
        except LinkFailure as exc:
            event["error"] = f"LinkFailure: {exc}"
        except Exception as exc:  # reported, never swallowed: the soak counts it as a violation
            event["error"] = f"{type(exc).__name__}: {exc}"
            event["traceback"] = traceback.format_exc()
        else:
            if isinstance(result, list):
                event["outcomes"] = [attempt_json(outcome.attempt) for outcome in result]
            else:
                event["attempt"] = attempt_json(result.attempt)
        event["elapsed"] = time.monotonic() - started
        self.emit(event)

    def progress(self, stage) -> None:
        self.emit({"ev": "progress", "stage": stage.value})

    def start(self) -> None:
        unsettled = len(self.journal.unsettled())
        self.emit({"ev": "hello", "pid": os.getpid(), "unsettled": unsettled})
        self.run_call("settle_unsettled", Settler(self.client).settle_open, max(unsettled, 1) * self.client.cancel_bound())

    def serve(self) -> None:
        for line in sys.stdin:
            command = json.loads(line)
            op = command["op"]
            if op == "quit":
                break
            self.use_port(command.get("port"))
            if op == "cancel":
                self.run_call(
                    op,
                    lambda: self.client.cancel(
                        command["appt"], Reason(command["reason"]), command["fee"], on_progress=self.progress
                    ),
                    self.client.cancel_bound(),
                )
            elif op == "settle":
                self.run_call(
                    op, lambda: self.client.settle(command["rid"], on_progress=self.progress), self.client.cancel_bound()
                )
            else:
                self.emit({"ev": "done", "op": op, "error": f"unknown op {op!r}", "elapsed": 0.0, "bound": 0.0})
        self.client.close()
        self.journal.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journal", required=True)
    parser.add_argument("--tap", required=True)
    parser.add_argument("--port", required=True)
    parser.add_argument("--tid", required=True)
    parser.add_argument("--merchant", required=True)
    parser.add_argument("--baud", type=int, default=115200)
    parser.add_argument("--t-char-ms", type=int, default=100)
    parser.add_argument("--t-ack-ms", type=int, default=60)
    parser.add_argument("--t-resp-ms", type=int, default=700)
    parser.add_argument("--settle-backoff-ms", default="50,100,200")
    parser.add_argument("--sabotage", choices=("give-up",), help=argparse.SUPPRESS)
    # The client logs every frame it drops; the soak counts outcomes, not log lines.
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    worker = Worker(parser.parse_args(argv))
    worker.start()
    worker.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
