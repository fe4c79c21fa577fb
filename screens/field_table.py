"""Label / value lines (when, service, address, ...) drawn by one widget. It looks as a two-column
grid of Prose would (labels as wide as the widest, muted; a gap of one; values wrapped the way
Chinese is written in the rest of the width), but a screen pays for one widget, not two a line:
mounting and styling each costs more than drawing them, and a new screen must come up quickly."""

from __future__ import annotations

from typing import Iterable

from textual.app import RenderResult
from textual.content import Content
from textual.geometry import Size
from textual.widget import Widget

from terminal.text_width import wrap_prose
from terminal.text_width import display_width

GAP = 1  # cells between the label and the value


class FieldTable(Widget):
    COMPONENT_CLASSES = {"field-table--label", "field-table--value", "field-table--emphasis"}
    DEFAULT_CSS = """
    FieldTable {
        height: auto;
    }
    FieldTable > .field-table--label {
        color: $text-muted;
    }
    """

    def __init__(
        self,
        pairs: Iterable[tuple[str, str]] = (),
        *,
        emphasised: Iterable[int] = (),
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """`emphasised`: the rows (0-based) whose value is drawn with field-table--emphasis too."""
        super().__init__(id=id, classes=classes)
        self._pairs: tuple[tuple[str, str], ...] = tuple(pairs)
        self._emphasised = frozenset(emphasised)
        self._laid_out: tuple[int, list[tuple[list[str], list[str]]]] = (-1, [])  # width, rows

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        return self._pairs

    def set_pairs(self, pairs: Iterable[tuple[str, str]]) -> None:
        new = tuple(pairs)
        if new != self._pairs:
            self._pairs = new
            self._laid_out = (-1, [])
            self.refresh(layout=True)

    def _label_width(self) -> int:
        return max((display_width(label) for label, _value in self._pairs), default=0)

    def _rows(self, width: int) -> list[tuple[list[str], list[str]]]:
        """Each pair's label and value lines at `width` cells."""
        if self._laid_out[0] != width:
            label_width = self._label_width()
            value_width = max(1, width - label_width - GAP)
            rows = [
                (wrap_prose(label, max(label_width, 1)), wrap_prose(value, value_width) if value else [])
                for label, value in self._pairs
            ]
            self._laid_out = (width, rows)
        return self._laid_out[1]

    def get_content_width(self, container: Size, viewport: Size) -> int:
        widest_value = max((display_width(line) for _l, value in self._pairs for line in value.split("\n")), default=0)
        return self._label_width() + GAP + widest_value if self._pairs else 0

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return sum(max(len(label), len(value), 1) for label, value in self._rows(width))

    def render(self) -> RenderResult:
        if not self._pairs:
            return Content("")
        label_style = self.get_visual_style("field-table--label", partial=True)
        value_style = self.get_visual_style("field-table--value", partial=True)
        emphasis_style = self.get_visual_style("field-table--value", "field-table--emphasis", partial=True)
        label_width = self._label_width()
        lines: list[Content] = []
        for row, (label_lines, value_lines) in enumerate(self._rows(self.content_size.width)):
            style = emphasis_style if row in self._emphasised else value_style
            for index in range(max(len(label_lines), len(value_lines), 1)):
                label = label_lines[index] if index < len(label_lines) else ""
                value = value_lines[index] if index < len(value_lines) else ""
                padding = " " * (label_width - display_width(label) + GAP)
                lines.append(Content.assemble((label, label_style), padding, (value, style)))
        return Content("\n").join(lines)
