"""The technician's commands of `pos-terminal` (echo, list, cancel, status, history, reprint):
each opens the terminal, settles what an earlier run left open, does its one job and prints the
result for people or as JSON. Loaded only for these commands: the app (`pos-terminal ui`) does not
need it before its first screen."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from dataclasses import replace
from datetime import datetime
from typing import Any

from protocol import Result
from terminal.cancel_terms import CancelTerms
from terminal.client import (
    AppointmentPage,
    CancelOutcome,
    HostClient,
    HostError,
    HostRefusal,
    LinkFailure,
)
from terminal.catalogue import format_money, result_text
from terminal.command_output import CommandOutput
from terminal.config import ConfigError, TerminalConfig
from terminal.exit_codes import EXIT_DONE, EXIT_FAILED, EXIT_LINK, EXIT_UNKNOWN, EXIT_USAGE, exit_code_of_signal
from terminal.failure_words import COMMAND_LINE, link_failure_text
from terminal.journal import Attempt, AttemptState, JournalError
from terminal.printing import PrintError
from terminal.runtime import TerminalRuntime, open_terminal
from terminal.verbose_report import VerboseReport
from terminal.voucher import render_voucher

# The commands speak English, whatever language the terminal's screens and vouchers use.
COMMAND_LINE_LOCALE = "en"


class Stopped(KeyboardInterrupt):
    """SIGTERM, raised where the command is, as Ctrl-C raises KeyboardInterrupt: both end the
    command the same way, with what is left pending said."""

    signal_number = signal.SIGTERM


def _raise_stopped(_signum: int, _frame: object) -> None:
    raise Stopped()


def run_command(command: str, config: TerminalConfig, args: argparse.Namespace) -> int:
    report = VerboseReport(sys.stderr) if args.verbose else None
    code = _run(command, config, args, report)
    if report is not None:
        report.finish(code)
    return code


def _run(command: str, config: TerminalConfig, args: argparse.Namespace, report: VerboseReport | None) -> int:
    out = CommandOutput(args.json)
    signal.signal(signal.SIGTERM, _raise_stopped)
    try:
        runtime = open_terminal(config, training=args.training, capture=args.capture)
    except ConfigError as exc:
        return out.fail(EXIT_USAGE, "config", str(exc))
    except JournalError as exc:
        return out.fail(EXIT_USAGE, "journal", str(exc))
    except KeyboardInterrupt as stop:
        return _interrupted(None, args, out, stop)
    if report is not None:
        runtime.client.listen(report.hear)
    try:
        args.journal_mark = runtime.journal.last_attempt_number()
        logging.basicConfig(level=logging.WARNING, format="pos-terminal: %(message)s")
        # Settled by this run: their vouchers were never printed (the outcome was unknown before).
        args.settled_now = set()
        if command not in ("history", "reprint"):
            # A cancellation left open by a lost answer or a power cut is settled first.
            for outcome in runtime.settler.settle_open():
                out.note(f"settled earlier cancellation {outcome.attempt.request_id}: {outcome.state.value}")
                if outcome.settled:
                    args.settled_now.add(outcome.attempt.request_id)
        return COMMANDS[command](runtime, args, out)
    except JournalError as exc:
        return out.fail(EXIT_USAGE, "journal", str(exc))
    except KeyboardInterrupt as stop:
        return _interrupted(runtime, args, out, stop)
    finally:
        # Closing waits for the line and the demo host's threads: a signal now must not cut it.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        runtime.close()


def _interrupted(runtime: TerminalRuntime | None, args: argparse.Namespace, out: CommandOutput,
                 stop: KeyboardInterrupt) -> int:
    """Ctrl-C or SIGTERM: say what the journal holds open and how to settle it. An attempt whose
    request may have left stays pending: the host may have cancelled it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this report short
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal_number = getattr(stop, "signal_number", signal.SIGINT)
    what = "stopped (SIGTERM)" if signal_number == signal.SIGTERM else "interrupted (Ctrl-C)"
    journal = runtime.journal if runtime is not None else None
    try:
        pending = journal.unsettled() if journal is not None else []
        # What this run recorded or settled: the host may have answered just before the signal.
        touched = [] if journal is None or not hasattr(args, "journal_mark") else [
            *journal.attempts_after(args.journal_mark),
            *(journal.get(request_id) for request_id in getattr(args, "settled_now", ())),
        ]
    except JournalError as exc:
        return out.fail(EXIT_USAGE, "journal", f"{what}; {exc}")

    def is_mine(attempt: Attempt | None) -> bool:
        return attempt is not None and (attempt.appt_id == getattr(args, "appt_id", None)
                                        or attempt.request_id == getattr(args, "request_id", None))

    mine = next((a for a in reversed([*touched, *pending]) if is_mine(a)), None)
    if mine is not None:
        mine = journal.get(mine.request_id) or mine  # as it stands now
    others = [a for a in pending if mine is None or a.request_id != mine.request_id]
    for attempt in others:
        out.note(f"cancellation {attempt.request_id} ({attempt.appt_id}) is still open; settle it with: "
                 f"pos-terminal status {attempt.request_id}")
    if mine is not None and mine.settled:
        out.note(f"{what} after the host's answer was recorded")
        voucher = None
        if mine.state is AttemptState.CANCELLED:
            voucher = render_voucher(mine, locale=runtime.locale, width=32, training=runtime.training)
        return _emit_attempt(out, CancelOutcome(mine), voucher)
    if mine is not None:
        out.note(f"{what} before the host's answer was recorded")
        return _emit_attempt(out, CancelOutcome(replace(mine, state=AttemptState.UNKNOWN)))
    if others:
        return out.fail(EXIT_UNKNOWN, "interrupted", f"{what}; {len(others)} cancellation(s) still open, "
                        "settled at the next start or with pos-terminal status REQUEST_ID",
                        pending=[a.request_id for a in others])
    return out.fail(exit_code_of_signal(signal_number), "interrupted", f"{what}; nothing was left open, no cancellation is pending")


def _guarded(call):
    """Turn the client's failures into the documented exit codes."""

    def run(runtime: TerminalRuntime, args: argparse.Namespace, out: CommandOutput) -> int:
        tid = runtime.config.terminal.tid
        try:
            return call(runtime, args, out)
        except LinkFailure as exc:
            return out.fail(EXIT_LINK, "link", _failure_text(exc, tid), **_link_failure_json(exc))
        except HostError as exc:
            return out.fail(
                EXIT_FAILED, "host-error", _failure_text(exc, tid), result=exc.result.name, verified=exc.verified,
            )
        except HostRefusal as exc:
            return out.fail(
                EXIT_FAILED, "refused", f"{exc}. This terminal is not bound to the merchant; call the provider.",
                result=exc.result.name,
            )

    return run


def _failure_text(failure: LinkFailure | HostError, tid: str) -> str:
    """What went wrong with a request, and what to do about it."""
    if isinstance(failure, LinkFailure):
        words = link_failure_text(failure, COMMAND_LINE, COMMAND_LINE_LOCALE, tid=tid)
        if words is None:
            return f"link failure: {failure}. Check the cable and the port, then try again."
        return f"link failure: {words}."
    return f"{failure}. {result_text(failure.result, 'command_todo', COMMAND_LINE_LOCALE, tid=tid)}"


def _link_failure_json(failure: LinkFailure) -> dict[str, Any]:
    document: dict[str, Any] = {"problem": failure.problem.value if failure.problem else None}
    if failure.holders:
        document["holders"] = [{"pid": holder.pid, "command": holder.command} for holder in failure.holders]
    return document


@_guarded
def _echo(runtime: TerminalRuntime, args: argparse.Namespace, out: CommandOutput) -> int:
    result = runtime.client.echo()
    rtt_ms = round(result.round_trip * 1000, 1)
    out.emit(
        {"ok": True, "round_trip_ms": rtt_ms, "host_time": result.host_time.isoformat()},
        f"host answered in {rtt_ms} ms; host time {result.host_time:%Y-%m-%d %H:%M:%S}",
    )
    return EXIT_DONE


def _appointment_json(terms: CancelTerms) -> dict[str, Any]:
    appointment = terms.appointment
    return {
        "appt_id": appointment.appt_id,
        "scheduled_at": appointment.scheduled_at.isoformat(),
        "service": appointment.service.name.lower(),
        "status": appointment.status.name.lower(),
        "address": appointment.address,
        "cancellable": terms.cancellable,
        "terms": terms.terms.value,
        # What cancelling costs now; none when it can no longer be cancelled.
        "fee": appointment.fee if terms.cancellable else None,
        "why_not": None if terms.cancellable else " ".join(terms.sentences(COMMAND_LINE_LOCALE)),
        "currency": appointment.currency,
        "free_until": appointment.free_until.isoformat(),
        "cancel_until": appointment.cancel_until.isoformat(),
    }


def _appointment_line(terms: CancelTerms) -> str:
    appointment = terms.appointment
    if terms.cancellable:
        fee = terms.short(COMMAND_LINE_LOCALE)
        cost = (f"cancel now: {fee:>8}  free until {appointment.free_until:%m-%d %H:%M}, "
                f"possible until {appointment.cancel_until:%m-%d %H:%M}")
    else:
        cost = " ".join(terms.sentences(COMMAND_LINE_LOCALE))
    return (
        f"{appointment.appt_id}  {appointment.scheduled_at:%Y-%m-%d %H:%M}  "
        f"{appointment.service.name.lower():12} {appointment.status.name.lower():11} "
        f"{cost}\n    {appointment.address}"
    )


@_guarded
def _list(runtime: TerminalRuntime, args: argparse.Namespace, out: CommandOutput) -> int:
    page: AppointmentPage = runtime.client.list_appointments(args.page)
    if args.page >= page.page_count:
        return out.fail(EXIT_USAGE, "usage", _no_such_page(args.page, page), total=page.total, pages=page.page_count)
    # Judged on this machine's clock, as the terminal's screens judge it; the host judges again.
    now = datetime.now()
    listed = [CancelTerms.now(appointment, now) for appointment in page.appointments]
    lines = [f"page {page.page + 1} of {page.page_count}, {page.total} appointments"]
    lines += [_appointment_line(terms) for terms in listed]
    out.emit(
        {
            "ok": True,
            "total": page.total,
            "page": page.page,
            "pages": page.page_count,
            "appointments": [_appointment_json(terms) for terms in listed],
            "message": page.message,
        },
        "\n".join(lines),
    )
    return EXIT_DONE


def _no_such_page(asked: int, page: AppointmentPage) -> str:
    count = page.page_count
    pages = "1 page, --page 0" if count == 1 else f"{count} pages, --page 0 to --page {count - 1}"
    return f"there is no --page {asked}: the host lists {page.total} appointments on {pages} (pages count from 0)"


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    return {
        "request_id": attempt.request_id,
        "appt_id": attempt.appt_id,
        "state": attempt.state.value,
        "result": attempt.result.name if attempt.result is not None else None,
        "reason": int(attempt.reason),
        "fee_accepted": attempt.fee_accepted,
        "cancel_ref": attempt.cancel_ref,
        "fee_charged": attempt.fee_charged,
        "currency": attempt.currency,
        "host_time": attempt.host_time.isoformat() if attempt.host_time else None,
        "fee_now": attempt.refused_fee,
        "message": attempt.host_message,
        "host_message": attempt.host_message,
        "created_at": attempt.created_at.isoformat(),
        "settled_at": attempt.settled_at.isoformat() if attempt.settled_at else None,
        "sends": attempt.send_count,
    }


def _describe_outcome(outcome: CancelOutcome) -> str:
    attempt = outcome.attempt
    text = _describe(attempt)
    if outcome.earlier:
        text = f"already cancelled by this terminal (request {attempt.request_id}); the host was not asked again. {text}"
    if outcome.journal_problem:
        text += (f". The host's answer could not be written to the journal, which keeps the cancellation "
                 f"pending until it is settled: {outcome.journal_problem}")
    if outcome.last_failure is not None and not outcome.settled:
        text += f". Last try: {_failure_text(outcome.last_failure, attempt.tid)}"
    return text


def _describe(attempt: Attempt) -> str:
    if attempt.state is AttemptState.CANCELLED:
        return (
            f"cancelled {attempt.appt_id}: cancellation number {attempt.cancel_ref}, "
            f"fee charged {format_money(attempt.fee_charged or 0, attempt.currency or '156')}, "
            f"host time {attempt.host_time:%Y-%m-%d %H:%M:%S}"
        )
    if attempt.state is AttemptState.REFUSED:
        if attempt.result is Result.FEE_CHANGED:
            fee = attempt.refused_fee or 0
            return (
                f"not cancelled: cancelling {attempt.appt_id} now costs {format_money(fee)}, more than "
                f"the {format_money(attempt.fee_accepted)} accepted. To accept it: --accept-fee {fee}"
            )
        assert attempt.result is not None
        why = result_text(attempt.result, "command_line", COMMAND_LINE_LOCALE, tid=attempt.tid)
        return f"not cancelled: {why}" + (f" ({attempt.host_message})" if attempt.host_message else "")
    return (
        f"outcome not yet confirmed for {attempt.appt_id} (request {attempt.request_id}); it is kept "
        f"pending and settled at the next start, or now with: pos-terminal status {attempt.request_id}"
    )


def _exit_code(attempt: Attempt) -> int:
    return {
        AttemptState.CANCELLED: EXIT_DONE,
        AttemptState.REFUSED: EXIT_FAILED,
    }.get(attempt.state, EXIT_UNKNOWN)


# The `error` of a cancellation that did not end cancelled, as README's JSON table names them.
_ATTEMPT_ERRORS = {AttemptState.REFUSED: "refused", AttemptState.UNKNOWN: "outcome-unknown",
                   AttemptState.PENDING: "outcome-unknown"}


def _emit_attempt(out: CommandOutput, outcome: CancelOutcome, voucher: str | None = None) -> int:
    attempt = outcome.attempt
    document = {"ok": attempt.state is AttemptState.CANCELLED, **attempt_json(attempt)}
    if attempt.state in _ATTEMPT_ERRORS:
        document["error"] = _ATTEMPT_ERRORS[attempt.state]
    if not attempt.settled:
        document["how_to_settle"] = f"pos-terminal status {attempt.request_id}"
    if outcome.earlier:
        document["earlier"] = True
    if outcome.journal_problem:
        document["journal_problem"] = outcome.journal_problem
    if outcome.last_failure is not None and not attempt.settled:
        document["last_failure"] = _failure_text(outcome.last_failure, attempt.tid)
    text = _describe_outcome(outcome)
    if attempt.state in _ATTEMPT_ERRORS:
        # Every failure says what happened in `message` (README); the host's own words, if it sent
        # any, are part of it and stay in `host_message`.
        document["message"] = text
    if voucher is not None:
        document["voucher"] = voucher
        text += "\n\n" + voucher
    out.emit(document, text)
    return _exit_code(attempt)


@_guarded
def _cancel(runtime: TerminalRuntime, args: argparse.Namespace, out: CommandOutput) -> int:
    client: HostClient = runtime.client
    done = runtime.journal.cancelled_for_appointment(args.appt_id)
    # Listed only when this terminal has not cancelled it already (the host no longer lists it).
    appointment = None if done is not None else _find_listed(client, args.appt_id)
    outcome = client.cancel(appointment or args.appt_id, args.reason, args.accept_fee)
    voucher = None
    if outcome.state is AttemptState.CANCELLED:
        # An earlier cancellation's voucher may have been printed already: this one says reprint.
        reprint = outcome.earlier and outcome.attempt.request_id not in args.settled_now
        voucher = _print_voucher(runtime, outcome.attempt, out, reprint=reprint)
    return _emit_attempt(out, outcome, voucher)


def _find_listed(client: HostClient, appt_id: str):
    """The appointment as the host lists it, for the journal and voucher (None if not listed:
    the host then decides, and the journal records what it could)."""
    page_number = 0
    while True:
        page = client.list_appointments(page_number)
        for appointment in page.appointments:
            if appointment.appt_id == appt_id:
                return appointment
        page_number += 1
        if page_number >= page.page_count:
            return None


@_guarded
def _status(runtime: TerminalRuntime, args: argparse.Namespace, out: CommandOutput) -> int:
    before = runtime.journal.get(args.request_id)
    if before is None:
        return _not_in_journal(out, "no-such-request", f"no cancellation with request id {args.request_id}")
    outcome = runtime.settler.settle(args.request_id)
    voucher = None
    settled_now = not before.settled or args.request_id in args.settled_now
    if settled_now and outcome.state is AttemptState.CANCELLED:
        voucher = _print_voucher(runtime, outcome.attempt, out, reprint=False)
    return _emit_attempt(out, outcome, voucher)


def _not_in_journal(out: CommandOutput, error: str, what: str) -> int:
    return out.fail(
        EXIT_FAILED, error,
        f"{what} on this terminal; `pos-terminal history` lists its cancellations with their request ids "
        "and cancellation numbers (upper case, as printed)",
    )


def _history(runtime: TerminalRuntime, args: argparse.Namespace, out: CommandOutput) -> int:
    attempts = runtime.journal.history(limit=1000)
    lines = [
        f"{a.created_at:%Y-%m-%d %H:%M}  {a.request_id}  {a.appt_id:14} {a.state.value:9} "
        + (a.cancel_ref or (a.result.name if a.result is not None else ""))
        for a in attempts
    ]
    out.emit({"ok": True, "attempts": [attempt_json(a) for a in attempts]}, "\n".join(lines) or "no cancellations yet")
    return EXIT_DONE


def _reprint(runtime: TerminalRuntime, args: argparse.Namespace, out: CommandOutput) -> int:
    attempt = runtime.journal.find_by_cancel_ref(args.cancel_ref)
    if attempt is None:
        return _not_in_journal(out, "no-such-voucher", f"no voucher with cancellation number {args.cancel_ref}")
    voucher = _print_voucher(runtime, attempt, out, reprint=True)
    out.emit(
        {"ok": True, **attempt_json(attempt), "printed": voucher is None, "voucher": voucher},
        voucher or "voucher printed",
    )
    return EXIT_DONE


def _print_voucher(runtime: TerminalRuntime, attempt: Attempt, out: CommandOutput, *, reprint: bool) -> str | None:
    """Print on the configured printer; returns the voucher's text when it was not printed."""
    if runtime.printer is not None:
        try:
            runtime.printer.print_voucher(attempt, locale=runtime.locale, reprint=reprint, training=runtime.training)
            out.note("voucher printed")
            return None
        except PrintError as exc:
            out.note(f"voucher not printed: {exc}")
    return render_voucher(attempt, locale=runtime.locale, width=32, reprint=reprint, training=runtime.training)


COMMANDS = {
    "echo": _echo,
    "list": _list,
    "cancel": _cancel,
    "status": _status,
    "history": _history,
    "reprint": _reprint,
}

