"""`pos-sim db`: the host's database (`pos-sim host --db FILE`) listed, one appointment shown, exported
as a data file, and reset to one; and what a host's start loaded into it.

Only `reset` writes, and only when told --yes. Each command prints text for people or one JSON
object (--json); a failure says what happened and what to do, with the exit codes of
terminal/exit_codes.py.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from protocol.enums import Result, Status
from simulator.data import DataError, ServiceAppointment, SimulatorData, Terminal, demo_data, load_data
from simulator.data_file import data_file_text
from simulator.report import aligned, fee_words, request_json, requests_table, words
from simulator.store import HostStore, LoadSummary, StoreError
from terminal.catalogue import format_money
from terminal.exit_codes import EXIT_DONE, EXIT_FAILED, EXIT_USAGE

_MOST_NAMED = 10  # ids named in one line of what a reset would lose; the rest are counted


@dataclass(frozen=True)
class DbCommand:
    """One `pos-sim db` command as asked on the command line."""

    name: str  # list, show, export or reset
    db: str | None
    now: datetime  # the host's time the fees and deadlines are judged at
    as_json: bool = False
    appt_id: str | None = None  # show
    demo: bool = False  # export
    data_file: str | None = None  # reset
    yes: bool = False  # reset


class _Failure(Exception):
    """The command cannot be done; `kind` names why in JSON, `extra` adds to the JSON object."""

    def __init__(self, code: int, kind: str, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.kind = kind
        self.message = message
        self.extra = extra or {}


@dataclass(frozen=True)
class _Shown:
    document: dict[str, Any]  # the JSON object, without "ok"
    text: str


def run_db_command(command: DbCommand) -> int:
    """Carry out `command`, print what it shows, and return the exit code."""
    try:
        shown = _carry_out(command)
    except _Failure as failure:
        return _print_failure(command.as_json, failure)
    if command.as_json:
        print(json.dumps({"ok": True, **shown.document}, ensure_ascii=False, indent=2))
    else:
        print(shown.text)
    return EXIT_DONE


def _carry_out(command: DbCommand) -> _Shown:
    if command.name == "export" and command.demo:
        if command.db is not None:
            raise _Failure(
                EXIT_USAGE,
                "usage",
                "export --demo writes the built-in demo data, not a database's: leave out --db or --demo",
            )
        return _export(demo_data(command.now), _demo_comments(command.now), cancellations=0)
    if command.db is None:
        raise _Failure(
            EXIT_USAGE, "usage", f"{command.name} needs --db FILE: the database that `pos-sim host --db FILE` keeps"
        )
    try:
        data = _reset_data(command) if command.name == "reset" else None
        with HostStore(command.db, create=False) as store:
            if command.name == "list":
                return _list(store, command.now)
            if command.name == "show":
                assert command.appt_id is not None
                return _show(store, command.appt_id, command.now)
            if command.name == "export":
                cancellations = len(store.cancellations())
                exported = SimulatorData(tuple(store.terminals()), tuple(store.appointments()), f"db {store.path}")
                return _export(exported, _db_comments(store.path, command.now, cancellations), cancellations)
            assert data is not None
            return _reset(store, data, command.yes)
    except StoreError as problem:
        raise _Failure(EXIT_USAGE, "database", str(problem)) from None
    except DataError as problem:
        raise _Failure(EXIT_USAGE, "data", str(problem)) from None


def _print_failure(as_json: bool, failure: _Failure) -> int:
    if as_json:
        document = {"ok": False, "error": failure.kind, "message": failure.message, **failure.extra}
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        print(f"pos-sim db: {failure.message}", file=sys.stderr)
    return failure.code


# -- list ------------------------------------------------------------------------------------------


def _list(store: HostStore, now: datetime) -> _Shown:
    terminals = store.terminals()
    appointments = store.appointments()
    lines = [f"Host database {store.path}, as of {now:%Y-%m-%d %H:%M:%S}"]
    lines.append(
        f"Terminals ({len(terminals)}): "
        + (", ".join(f"{t.tid} (merchant {t.merchant_id})" for t in terminals) or "none: every request is refused")
    )
    if appointments:
        lines.append(f"Appointments ({len(appointments)}), earliest first:")
        lines += aligned([APPOINTMENT_HEADINGS, *(appointment_row(a, now) for a in appointments)])
    else:
        lines.append("Appointments: none")
    document = {
        "db": str(store.path),
        "now": now.isoformat(),
        "terminals": [_terminal_json(t) for t in terminals],
        "appointments": [_appointment_json(a, now) for a in appointments],
    }
    return _Shown(document, "\n".join(lines))


APPOINTMENT_HEADINGS = ("id", "merchant", "scheduled", "service", "status", "cancelling now")


def appointment_row(appointment: ServiceAppointment, now: datetime) -> tuple[str, ...]:
    """An appointment's cells under APPOINTMENT_HEADINGS, as `now` sees it."""
    a = appointment
    return (a.appt_id, a.merchant_id, _when(a.scheduled_at), words(a.service.name), words(a.status.name),
            cancelling_at(a, now))


def cancelling_at(appointment: ServiceAppointment, now: datetime) -> str:
    """What cancelling at `now` would get: its fee and until when, or why it is not possible."""
    refusal = appointment.refusal_at(now)
    if refusal is Result.ALREADY_CANCELLED:
        return "no: already cancelled"
    if refusal is Result.TOO_LATE:
        if appointment.status is Status.BOOKED:
            return f"no: too late since {_when(appointment.cancel_until)}"
        return f"no: {words(appointment.status.name)}"
    fee = appointment.fee_at(now)
    if fee:
        return f"{format_money(fee)} until {_when(appointment.cancel_until)}"
    free_until = appointment.free_until if appointment.late_fee else appointment.cancel_until
    return f"free until {_when(free_until)}"


# -- show ------------------------------------------------------------------------------------------


def _show(store: HostStore, appt_id: str, now: datetime) -> _Shown:
    appointment = store.appointment(appt_id)
    requests = store.cancellations_of(appt_id)
    if appointment is None and not requests:
        raise _Failure(
            EXIT_FAILED,
            "no-such-appointment",
            f"{store.path} holds no appointment {appt_id!r}, and no request named it; "
            f"`pos-sim db --db {store.path} list` lists the appointments it holds",
        )
    cancellations = [r for r in requests if r.result is Result.OK]
    if appointment is None:
        lines = [f"{appt_id}: no such appointment in {store.path}, but requests named it"]
    else:
        lines = [f"Appointment {appt_id}, as of {now:%Y-%m-%d %H:%M:%S}"]
        lines += aligned(
            [
                ("merchant", appointment.merchant_id),
                ("scheduled", _when(appointment.scheduled_at)),
                ("service", words(appointment.service.name)),
                ("status", words(appointment.status.name)),
                ("address", appointment.address),
                ("late fee", format_money(appointment.late_fee)),
                ("free until", _when(appointment.free_until)),
                ("cancel until", _when(appointment.cancel_until)),
                ("cancelling now", cancelling_at(appointment, now)),
            ]
        )
    if appointment is not None and appointment.status is Status.CANCELLED and not cancellations:
        lines.append("Cancelled as the data file says, not by a request to this host: it has no cancel ref")
    for cancellation in cancellations:
        fee = fee_words(cancellation)
        lines.append(
            f"Cancelled at {cancellation.decided_at:%Y-%m-%d %H:%M:%S} by {cancellation.tid} (request "
            f"{cancellation.request_id}, reason {words(cancellation.reason.name)}): cancel ref "
            f"{cancellation.cancel_ref}, {fee if fee == 'free' else fee + ' charged'}"
        )
    if requests:
        lines.append(f"Cancel requests naming it ({len(requests)}, in the order decided):")
        lines += requests_table(requests, naming="request id")
    else:
        lines.append("Cancel requests naming it: none")
    document = {
        "db": str(store.path),
        "now": now.isoformat(),
        "appointment": None if appointment is None else _appointment_json(appointment, now),
        "cancellations": [request_json(c) for c in cancellations],
        "requests": [request_json(r) for r in requests],
    }
    return _Shown(document, "\n".join(lines))


# -- export ----------------------------------------------------------------------------------------


def _export(data: SimulatorData, comments: list[str], cancellations: int) -> _Shown:
    text = data_file_text(data, comments)
    document = {
        "source": data.source,
        "terminals": len(data.terminals),
        "appointments": len(data.appointments),
        "cancellations_not_exported": cancellations,
        "toml": text,
    }
    return _Shown(document, text.rstrip("\n"))


def _db_comments(db: Path, now: datetime, cancellations: int) -> list[str]:
    comments = [
        f"Simulator data (docs/host-data.md), exported from the host database {db} at {now:%Y-%m-%d %H:%M:%S}.",
        "Serve it with: pos-sim host --port URL --data FILE",
        "It holds the terminals' keys in clear text: keep it readable by you only (chmod 600 FILE).",
    ]
    if cancellations:
        comments.append(
            f"Not here: the {_count(cancellations, 'answered cancel request')} the database holds (a data file "
            "holds none); an appointment the host cancelled has status 4."
        )
    return comments


def _demo_comments(now: datetime) -> list[str]:
    return [
        f"The built-in demo data (docs/host-data.md, section 5), placed around {now:%Y-%m-%d %H:%M:%S}.",
        "Edit it, then serve it with: pos-sim host --port URL --data FILE",
        "The demo terminal's key is public: use it on benches only.",
    ]


# -- reset -----------------------------------------------------------------------------------------


def _reset_data(command: DbCommand) -> SimulatorData:
    return load_data(command.data_file) if command.data_file else demo_data(command.now)


@dataclass(frozen=True)
class _Loss:
    """What a reset forgets: what the database holds that the data does not."""

    requests: int  # answered cancel requests: every one is forgotten
    cancel_refs: list[str]  # the cancellations among them
    appointments: list[str]  # not in the data
    terminals: list[str]  # not in the data
    status_reverted: list[str]  # cancelled by the host, given the data's status again

    @classmethod
    def of(cls, store: HostStore, data: SimulatorData) -> _Loss:
        requests = store.cancellations()
        in_data = {a.appt_id: a for a in data.appointments}
        held = store.appointments()
        return cls(
            requests=len(requests),
            cancel_refs=[r.cancel_ref for r in requests if r.cancel_ref],
            appointments=[a.appt_id for a in held if a.appt_id not in in_data],
            terminals=[t.tid for t in store.terminals() if t.tid not in {t.tid for t in data.terminals}],
            status_reverted=[
                a.appt_id
                for a in held
                if a.status is Status.CANCELLED and a.appt_id in in_data
                and in_data[a.appt_id].status is not Status.CANCELLED
            ],
        )

    def lines(self) -> list[str]:
        lines = []
        if self.requests:
            refs = self.cancel_refs
            kind = "a cancellation" if len(refs) == 1 else "cancellations"
            among = f", {len(refs)} of them {kind} (cancel ref {_named(refs)})"
            lines.append(
                f"{_count(self.requests, 'answered cancel request')}{among if refs else ''}: a terminal that asks the "
                "host about one (STATUS_REQ) gets UNKNOWN_REQUEST"
            )
        if self.appointments:
            lines.append(f"{_count(len(self.appointments), 'appointment')} not in the data: {_named(self.appointments)}")
        if self.terminals:
            lines.append(f"{_count(len(self.terminals), 'terminal')} not in the data: {_named(self.terminals)}")
        if self.status_reverted:
            lines.append(
                f"{_count(len(self.status_reverted), 'appointment')} the host cancelled, back to the data's status: "
                f"{_named(self.status_reverted)}"
            )
        return [f"  {line}" for line in lines]


def _reset(store: HostStore, data: SimulatorData, yes: bool) -> _Shown:
    loss = _Loss.of(store, data)
    holding = (
        f"{data.source} alone ({_count(len(data.terminals), 'terminal')}, "
        f"{_count(len(data.appointments), 'appointment')})"
    )
    if not yes:
        lines = loss.lines()
        first = f"reset would make {store.path} hold {holding}"
        message = [f"{first}, and lose:" if lines else f"{first}; it holds nothing that the data lacks."]
        message += [*lines, "Nothing was changed: add --yes to reset it."]
        raise _Failure(EXIT_USAGE, "not-confirmed", "\n".join(message), {"would_lose": asdict(loss)})
    summary = store.reset(data)
    lines = [f"{store.path} now holds {holding}."]
    if loss.lines():
        lines += ["Forgotten:", *loss.lines()]
    holds = {"terminals": summary.terminals_held, "appointments": summary.appointments_held}
    return _Shown({"db": str(store.path), "data": data.source, "holds": holds, "lost": asdict(loss)}, "\n".join(lines))


# -- what a host's start loaded ---------------------------------------------------------------------


def describe_load(summary: LoadSummary, data: SimulatorData, db: str) -> str:
    """One line for the host's start: what the data added to the db, and what the db holds besides."""
    line = (
        f"loaded {data.source} into db {db}: {_count(len(data.terminals), 'terminal')} "
        f"({summary.terminals_added} new), {_count(len(data.appointments), 'appointment')} "
        f"({summary.appointments_added} new)"
    )
    other_terminals = summary.terminals_held - len(data.terminals)
    other_appointments = summary.appointments_held - len(data.appointments)
    if other_terminals or other_appointments:
        besides = " and ".join(
            _count(n, noun) for n, noun in ((other_terminals, "terminal"), (other_appointments, "appointment")) if n
        )
        line += (
            f"; the db also holds {besides} not in this data, served as before "
            f"(`pos-sim db --db {db} reset --data FILE` keeps only a file's)"
        )
    if summary.kept_cancelled:
        line += (
            f"; {_count(len(summary.kept_cancelled), 'appointment')} the host cancelled "
            f"{'stays' if len(summary.kept_cancelled) == 1 else 'stay'} cancelled: {_named(list(summary.kept_cancelled))}"
        )
    return line


# -- pieces ----------------------------------------------------------------------------------------


def _terminal_json(terminal: Terminal) -> dict[str, str]:
    return {"tid": terminal.tid, "merchant_id": terminal.merchant_id}  # never the key


def _appointment_json(appointment: ServiceAppointment, now: datetime) -> dict[str, Any]:
    refusal = appointment.refusal_at(now)
    return {
        "appt_id": appointment.appt_id,
        "merchant_id": appointment.merchant_id,
        "scheduled_at": appointment.scheduled_at.isoformat(),
        "service": appointment.service.name,
        "status": appointment.status.name,
        "address": appointment.address,
        "late_fee": appointment.late_fee,
        "free_until": appointment.free_until.isoformat(),
        "cancel_until": appointment.cancel_until.isoformat(),
        "fee_now": None if refusal else appointment.fee_at(now),
        "refused_now": refusal.name if refusal else None,
    }


def _when(moment: datetime) -> str:
    """To the minute, or to the second when it has seconds."""
    return f"{moment:%Y-%m-%d %H:%M:%S}" if moment.second else f"{moment:%Y-%m-%d %H:%M}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _named(names: list[str]) -> str:
    more = f" and {len(names) - _MOST_NAMED} more" if len(names) > _MOST_NAMED else ""
    return ", ".join(names[:_MOST_NAMED]) + more
