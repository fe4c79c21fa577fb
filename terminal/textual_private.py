"""The only module that uses Textual's private API: each use sits behind a small named wrapper
here, and nothing else imports `textual._…` or touches a Textual `_` name
(tests/screens/test_textual_private.py holds the rest of the project to that). Textual is pinned
exactly in pyproject.toml; that test names each private below and says which one a new Textual
release no longer has. There is no public way to do these things in Textual 8.2.8."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from textual import constants
from textual._parser import ParseError
from textual._path import _css_path_type_as_list, _make_path_object_relative
from textual._time import get_time
from textual._xterm_parser import XTermParser

try:
    from textual._styles_cache import StylesCache
except ImportError:  # another Textual: then it may not need forget_drawn_widgets()
    StylesCache = None  # type: ignore[assignment,misc]

if TYPE_CHECKING:
    from textual.driver import Driver
    from textual.message import Message
    from textual.screen import Screen

# (read_from, css, tie_breaker, scope), as Textual adds a widget class's DEFAULT_CSS.
DefaultCss = tuple[tuple[str, str], str, int, str]


# -- terminal input (terminal/escape_key_driver.py)


class InputParser:
    """Textual's own parser of what the terminal sends (its linux driver's), so that every key,
    mouse event and paste means what it means in Textual; and when it gives up waiting for the
    rest of an escape sequence, which Textual keeps to itself."""

    def __init__(self, driver: Driver) -> None:
        self._parser = XTermParser(driver._debug)

    def feed(self, data: str) -> Iterable[Message]:
        return self._parser.feed(data)

    def tick(self) -> Iterable[Message]:
        """What is due by now: a lone ESC once the wait for the rest of a sequence is over."""
        return self._parser.tick()

    def sequence_due(self) -> float | None:
        """When (on input_clock()) the parser gives up on the rest of a sequence; None: it waits
        for none."""
        return self._parser._timeout_time

    def close(self) -> None:
        """The end of input, as Textual's driver ends it: what is pending is dropped."""
        try:
            for _message in self._parser.feed(""):
                pass
        except (EOFError, ParseError):
            pass


def input_clock() -> float:
    """The clock InputParser.sequence_due() is on."""
    return get_time()


def set_escape_wait(seconds: float) -> None:
    """How long the parser waits for the rest of a sequence after an ESC (Textual reads ESCDELAY
    into it once, at import, and the parser reads it at each ESC)."""
    constants.ESCAPE_DELAY = seconds  # type: ignore[misc]


# -- stylesheets read ahead (terminal/shell.py)


def default_css(cls: type) -> list[DefaultCss]:
    """What Textual adds to the app's stylesheet when the first widget of `cls` is registered: its
    DEFAULT_CSS and its bases'. Read off a bare instance: Textual computes it from the class."""
    return object.__new__(cls)._get_default_css()


def css_path_files(cls: type[Screen]) -> list[Path]:
    """The files of a screen class's CSS_PATH, resolved as Textual resolves them when it makes
    the screen (Screen.css_path), under the names it reads them by."""
    if cls.CSS_PATH is None:
        return []
    bare = object.__new__(cls)
    return [_make_path_object_relative(path, bare) for path in _css_path_type_as_list(cls.CSS_PATH)]


# -- memory (screens/keypad.py)


def forget_drawn_widgets() -> None:
    """Let Textual free what it drew for widgets that are gone. Its StylesCache.get_inner_outer
    is an lru_cache on a method, so it keeps the render caches (every strip drawn) of the last
    1024 widgets alive (Textualize/textual#6665): here 25 MiB after some twenty trips through the
    flow. Emptied, it refills with the widgets still shown."""
    cache_clear = getattr(getattr(StylesCache, "get_inner_outer", None), "cache_clear", None)
    if cache_clear is not None:
        cache_clear()
