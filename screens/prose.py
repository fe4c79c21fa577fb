"""Text that wraps the way Chinese is written (terminal/text_width.py wrap_prose): a line may
break between any two Chinese characters (Textual breaks only at spaces, so a Chinese sentence
moves to the next line whole), Latin words break at spaces, and no line starts with a closing
mark such as ，。）."""

from __future__ import annotations

from textual.app import RenderResult
from textual.content import Content
from textual.geometry import Size
from textual.widget import Widget

from terminal.text_width import display_width, wrap_prose

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
