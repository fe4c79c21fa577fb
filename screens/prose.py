"""Text that wraps the way Chinese is written: a line may break between any two Chinese
characters (Textual breaks only at spaces, so a Chinese sentence moves to the next line whole),
Latin words break at spaces, and no line starts with a closing mark such as ，。）."""

from __future__ import annotations

from textual.app import RenderResult
from textual.content import Content
from textual.geometry import Size
from textual.widget import Widget

from terminal.text_width import display_width, fold_word, wrap_tokens

# Marks that may not begin a line, and marks that may not end one (simplified kinsoku).
NO_LINE_START = frozenset("，。、；：！？）》」』】〉…,.;:!?)%")
NO_LINE_END = frozenset("（《「『【〈(")


def wrap_prose(text: str, width: int) -> list[str]:
    """Lines of at most `width` cells; a newline in `text` always starts a new line."""
    width = max(width, 2)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        used = 0
        wrapped = False  # the line being filled continues a wrapped one: no leading spaces
        for token in wrap_tokens(paragraph):
            if token == " ":
                if (line or not wrapped) and used < width:
                    line.append(token)
                    used += 1
                continue
            size = display_width(token)
            if used + size > width and line:
                carried: list[str] = []
                # Keep a closing mark with the character before it, and an opening one with
                # the character after it.
                # (a run of closing marks goes down together with the character before it)
                while (carried or [token])[0][0] in NO_LINE_START and len(line) > 1 and line[-1] != " ":
                    carried.insert(0, line.pop())
                while len(line) > 1 and line[-1] != " " and line[-1][-1] in NO_LINE_END:
                    carried.insert(0, line.pop())
                lines.append("".join(line).rstrip())
                line, used = carried, sum(display_width(t) for t in carried)
                wrapped = True
            if size > width:
                *whole, token = fold_word(token, width)
                if line:
                    lines.append("".join(line).rstrip())
                    line, used = [], 0
                lines.extend(whole)
                size = display_width(token)
            line.append(token)
            used += size
        lines.append("".join(line).rstrip())
    return lines


class Prose(Widget):
    """A block of text (a sentence, a field's value) wrapped by wrap_prose to its width."""

    DEFAULT_CSS = """
    Prose {
        height: auto;
    }
    """

    def __init__(self, text: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._text = text
        self._wrapped: tuple[str, int, list[str]] = ("", 0, [])  # the last wrap_prose

    @property
    def text(self) -> str:
        return self._text

    def update(self, text: str) -> None:
        if text == self._text:
            return
        old, self._text = self._text, text
        # The screen is laid out again only when the text needs other room: a PIN digit, a
        # spinner turn or a count changes none, and a layout costs more than the repaint.
        width = self.content_size.width
        same_room = (
            width > 0
            and self._widest(old) == self._widest(text)
            and len(self._lines(old, width)) == len(self._lines(text, width))
        )
        self.refresh(layout=not same_room)

    @staticmethod
    def _widest(text: str) -> int:
        return max((display_width(line) for line in text.split("\n")), default=0)

    def _lines(self, text: str, width: int) -> list[str]:
        if not text:
            return []
        cached_text, cached_width, lines = self._wrapped
        if (cached_text, cached_width) != (text, width):
            lines = wrap_prose(text, width)
            self._wrapped = (text, width, lines)
        return lines

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self._widest(self._text)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(self._text, width))

    def render(self) -> RenderResult:
        if not self._text:
            return Content("")
        return Content("\n".join(self._lines(self._text, self.content_size.width)))
