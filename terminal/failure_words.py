"""The words for a link failure, by what the terminal could tell of it (LinkProblem): a port another
program holds, a dead line, a noisy line, no answer in time, answers the key does not verify. Said
the same by pos-terminal's commands (for a technician) and by the screens (for a merchant); a
failure the table has no words for is said in the general ones of each."""

from __future__ import annotations

from protocol import LinkCounters
from terminal.catalogue import N_, t
from terminal.client import LinkFailure, LinkProblem
from terminal.transport import holders_named

# What pos-terminal says the failure was and what to check.
COMMAND_LINE = {
    LinkProblem.PORT_HELD: N_("link.port_held.command_line"),
    LinkProblem.DEAD_LINE: N_("link.dead_line.command_line"),
    LinkProblem.NOISY_LINE: N_("link.noisy_line.command_line"),
    LinkProblem.NO_ANSWER: N_("link.no_answer.command_line"),
    LinkProblem.ANSWER_NOT_VERIFIED: N_("link.answer_not_verified.command_line"),
}
# What the screens say to do.
SCREEN_TODO = {
    LinkProblem.PORT_HELD: N_("link.port_held.todo"),
    LinkProblem.DEAD_LINE: N_("link.dead_line.todo"),
    LinkProblem.NOISY_LINE: N_("link.noisy_line.todo"),
    LinkProblem.ANSWER_NOT_VERIFIED: N_("link.answer_not_verified.todo"),
}


def link_failure_text(failure: LinkFailure, words: dict[LinkProblem, str], locale: str, *, tid: str) -> str | None:
    """The `words` (COMMAND_LINE or SCREEN_TODO) for `failure` in `locale`, filled in; None when
    they have none for it. `tid`: the terminal's, as its config names it."""
    key = words.get(failure.problem) if failure.problem is not None else None
    if key is None:
        return None
    seen = failure.seen or LinkCounters()
    holders = f" ({holders_named(failure.holders)})" if failure.holders else ""
    return t(
        key, locale, port=failure.port, holders=holders, naks=seen.naks_in, noise=seen.noise_bytes,
        bad_frames=seen.bad_frames, incomplete=seen.abandoned_frames, tid=tid,
    )
