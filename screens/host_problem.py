"""When the host could not be asked or would not answer: what happened, in plain words, what to
do about it, and a key to try again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from textual.app import ComposeResult

from screens.keypad import BACK, Key, KeypadScreen
from screens.prose import Prose
from terminal.catalogue import N_, result_text, t
from terminal.client import HostError, HostRefusal, LinkFailure
from terminal.failure_words import SCREEN_TODO, link_failure_text

if TYPE_CHECKING:
    from terminal.plugin_api import PluginContext


@dataclass(frozen=True)
class Problem:
    title: str
    what: str  # what happened
    todo: str  # what to do next
    detail: str | None = None  # the host's own text, or the technical reason


def describe_problem(error: BaseException, context: PluginContext) -> Problem:
    locale = context.locale
    terminal = context.config.terminal
    if isinstance(error, LinkFailure):
        return Problem(
            t("problem.link.title", locale),
            t("problem.link.what", locale),
            link_todo(error, context) or t("problem.link.todo", locale),
            str(error) or None,
        )
    if isinstance(error, (HostError, HostRefusal)):
        return Problem(
            result_text(error.result, "problem_title", locale),
            result_text(error.result, "problem_what", locale, tid=terminal.tid, merchant=terminal.merchant_id),
            result_text(error.result, "problem_todo", locale),
            error.message,
        )
    return Problem(
        t("problem.terminal.title", locale),
        t("problem.terminal.what", locale),
        t("problem.terminal.todo", locale),
        str(error) or type(error).__name__,
    )


def link_todo(failure: LinkFailure, context: PluginContext) -> str | None:
    """What to do about this link failure in particular; None: the screen's general words."""
    return link_failure_text(failure, SCREEN_TODO, context.locale, tid=context.config.terminal.tid)


class HostProblemScreen(KeypadScreen):
    """The appointment list could not be had. Enter tries again, Esc goes back."""

    CSS_PATH = "host_problem.tcss"

    def __init__(self, context: PluginContext, error: BaseException, retry: Callable[[], None]) -> None:
        super().__init__(context)
        self.problem = describe_problem(error, context)
        self.retry = retry

    def title_text(self) -> str:
        return self.problem.title

    def body(self) -> ComposeResult:
        yield Prose(self.problem.what, id="problem-what")
        yield Prose(self.problem.todo, id="problem-todo")
        if self.problem.detail:
            yield Prose(self.t("problem.detail", detail=self.problem.detail), id="problem-detail")

    def keys(self) -> list[Key]:
        return [Key("enter", "retry", N_("key.retry")), BACK]

    def key_retry(self) -> None:
        self.dismiss()
        self.retry()
