"""The frame every screen of the plugin shares, and its keypad: a title line, the training banner,
a scrolling body and on-screen keys. As in Textual's examples/calculator.py, every key has its
on-screen key: a touch presses it, and a physical key runs the same `key_<action>` method and then
shows its on-screen key pressed, so both look and act alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from functools import partial
from math import floor
from typing import TYPE_CHECKING, Callable, ClassVar, Generic, Iterable, TypeVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult, RenderResult
from textual.containers import Grid, VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.style import Style as VisualStyle
from textual.widgets import Button, Static

from screens.prose import Prose
from terminal.catalogue import N_, t
from terminal.textual_private import forget_drawn_widgets

if TYPE_CHECKING:
    from terminal.plugin_api import PluginContext

ResultT = TypeVar("ResultT")

# What the key bar prints for keys whose name is not what the keypad shows.
KEY_GLYPHS = {
    "enter": "Enter",
    "escape": "Esc",
    "backspace": "Bksp",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
}
# A key bar cell is 12 cells wide at 40 columns: a key's hint must fit in it.
KEY_HINT_WIDTH = 12


@dataclass(frozen=True)
class Key:
    """One key a screen answers: `name` as Textual names it, `action` runs `key_<action>(arg)`."""

    name: str
    action: str
    label: str | None = None  # message id shown in the key bar; None: its button is in the body
    also: tuple[str, ...] = ()  # other keys that do the same (pageup for left)
    arg: str | None = None

    def matches(self, pressed: str) -> bool:
        return pressed == self.name or pressed in self.also

    def hint(self, locale: str) -> str:
        assert self.label is not None
        return f"{KEY_GLYPHS.get(self.name, self.name)} {t(self.label, locale)}"


def clock_of(widget: Widget) -> Callable[[], datetime]:
    """The app's clock (the shell hands a fixed one to tests), else the machine's."""
    return getattr(widget.app, "clock", datetime.now)


class KeyButton(Button, can_focus=False):
    """An on-screen key. Never focused: Enter must always mean the screen's Enter."""

    DEFAULT_CSS = """
    KeyButton {
        width: 1fr;
        min-width: 0;
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """
    # The pressed look lasts this long; snapshot tests set it to 0 so nothing depends on timing.
    FLASH_SECONDS: ClassVar[float] = 0.2

    def __init__(self, key: Key, label: str | Text, *, classes: str | None = None) -> None:
        super().__init__(label, compact=True, classes=classes)
        self.key = key
        self.active_effect_duration = self.FLASH_SECONDS
        self.styles.line_pad = 0  # the key bar's cells are narrow (CSS cannot say 0)

    def update_node_styles(self, animate: bool = True) -> None:
        # Button.__init__ sets classes (flat, compact), and Textual restyles the button against
        # the whole stylesheet for each, mounted or not: twice for every key a screen builds.
        # One not yet in the DOM is styled when it is mounted.
        if self.is_attached:
            super().update_node_styles(animate)

    def flash(self) -> None:
        """The pressed look a touch gives it (Button's active effect), for a physical key."""
        if self.active_effect_duration > 0 and not self.has_class("-active"):
            self.add_class("-active")
            self.set_timer(self.active_effect_duration, partial(self.remove_class, "-active"))


class ChoiceButton(KeyButton):
    """A numbered line in the body (an appointment, a reason, a menu entry): a key of its own."""

    DEFAULT_CSS = """
    ChoiceButton {
        width: 100%;
        content-align: left middle;
        text-align: left;
        margin-bottom: 0;
    }
    """


class KeyGrid(Widget):
    """On-screen keys drawn by one widget, in rows of equal cells (as a grid of compact buttons
    would draw them: columns of 1fr, a gap of one, each label centred): a screen pays for one
    widget, not one a key (mounting and styling each costs more than drawing them). A touch on a
    key presses it; `None` in the keys leaves its cell empty."""

    COMPONENT_CLASSES = {"key-bar--key", "key-bar--hover", "key-bar--tint"}
    DEFAULT_CSS = """
    KeyGrid > .key-bar--key {
        text-style: bold;
        color: $button-foreground;
        background: $surface;
    }
    KeyGrid > .key-bar--hover {
        background: $surface-darken-1;
    }
    KeyGrid > .key-bar--tint {
        background: $background 30%;
    }
    """
    GAP = 1

    class Pressed(Message):
        """A key was touched."""

        def __init__(self, key: Key) -> None:
            super().__init__()
            self.key = key

    def __init__(self, keys: Iterable[Key | None], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.keys: tuple[Key | None, ...] = tuple(keys)
        self._hovered: int | None = None
        self._pressed: int | None = None

    def _columns(self) -> int:
        raise NotImplementedError

    def label_of(self, key: Key) -> str:
        raise NotImplementedError

    def _cells(self, width: int) -> list[tuple[int, int]]:
        """(offset, width) of each column in `width` cells, as Textual's grid gives 1fr columns."""
        columns = self._columns()
        each = Fraction(max(0, width - self.GAP * (columns - 1)), columns)
        return [
            (floor(column * (each + self.GAP)), floor(column * (each + self.GAP) + each) - floor(column * (each + self.GAP)))
            for column in range(columns)
        ]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return -(-len(self.keys) // self._columns())

    def render(self) -> RenderResult:
        if not self.keys:
            return Content("")
        cells = self._cells(self.content_size.width)
        key_style = self.get_visual_style("key-bar--key")
        lines: list[Content] = []
        for row in range(0, len(self.keys), len(cells)):
            parts: list[Content] = []
            end = 0
            for index in range(row, min(row + len(cells), len(self.keys))):
                key = self.keys[index]
                if key is None:
                    continue
                offset, width = cells[index - row]
                label = Content(self.label_of(key)).truncate(width, ellipsis=True)
                left = (width - label.cell_length) // 2  # centred, as a button's label
                label = label.pad(left, width - left - label.cell_length)
                parts.append(Content(" " * (offset - end)))
                parts.append(label.stylize(self._style(index, key_style)))
                end = offset + width
            lines.append(Content("").join(parts))
        return Content("\n").join(lines)

    def _style(self, index: int, key_style: VisualStyle) -> VisualStyle:
        if index == self._pressed:
            # Button's pressed look: tinted with the background.
            tint = self.get_visual_style("key-bar--tint", partial=True).background
            if tint is not None and key_style.background is not None and key_style.foreground is not None:
                return key_style + VisualStyle(
                    background=key_style.background.tint(tint), foreground=key_style.foreground.tint(tint)
                )
        if index == self._hovered:
            return self.get_visual_style("key-bar--key", "key-bar--hover")
        return key_style

    def _key_at(self, x: int, y: int) -> int | None:
        x -= self.styles.padding.left
        cells = self._cells(self.content_size.width)
        for column, (offset, width) in enumerate(cells):
            index = y * len(cells) + column
            if offset <= x < offset + width and 0 <= index < len(self.keys) and self.keys[index] is not None:
                return index
        return None

    def on_click(self, event: events.Click) -> None:
        index = self._key_at(event.x, event.y)
        if index is not None:
            event.stop()
            key = self.keys[index]
            assert key is not None
            self.post_message(self.Pressed(key))

    def on_mouse_move(self, event: events.MouseMove) -> None:
        index = self._key_at(event.x, event.y)
        if index != self._hovered:
            self._hovered = index
            self.refresh()

    def on_leave(self, _event: events.Leave) -> None:
        if self._hovered is not None:
            self._hovered = None
            self.refresh()

    def flash(self, key: Key) -> bool:
        """The pressed look on `key` for a moment, as a touch gives it; False: it has no cell here."""
        if key not in self.keys:
            return False
        seconds = KeyButton.FLASH_SECONDS
        if seconds > 0 and self._pressed is None:
            self._pressed = self.keys.index(key)
            self.refresh()
            self.set_timer(seconds, self._unflash)
        return True

    def _unflash(self) -> None:
        self._pressed = None
        self.refresh()


class KeyBar(KeyGrid):
    """The screen's key hints, which are also its touch keys: 3 a row at 40..63 columns, 4 at
    64..79, 6 from 80."""

    DEFAULT_CSS = """
    KeyBar {
        height: auto;
        padding: 0 1;
        background: $panel;
    }
    """
    COLUMNS = {"-narrow": 3, "-wide": 4, "-widest": 6}

    def __init__(self, keys: Iterable[Key], locale: str) -> None:
        super().__init__(())
        self.locale = locale
        self.set_keys(keys)

    def set_keys(self, keys: Iterable[Key]) -> None:
        """Show these keys' hints (those with a label)."""
        shown = tuple(key for key in keys if key.label is not None)
        if shown != self.keys:
            self.keys = shown
            self._hovered = self._pressed = None
            self.refresh(layout=True)

    def _columns(self) -> int:
        """The keys a row at the screen's width (its breakpoint class may not be set yet while a
        resize lays it out)."""
        width = self.app.size.width
        return max((at, self.COLUMNS[name]) for at, name in KeypadFrame.HORIZONTAL_BREAKPOINTS if width >= at)[1]

    def label_of(self, key: Key) -> str:
        return key.hint(self.locale)

    def hints(self) -> list[str]:
        return [key.hint(self.locale) for key in self.keys if key is not None]


class TitleBar(Static):
    DEFAULT_CSS = """
    TitleBar {
        height: 1;
        width: 100%;
        padding: 0 1;
        background: $primary;
        color: $text;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """


class TrainingBanner(Prose):
    DEFAULT_CSS = """
    TrainingBanner {
        height: auto;
        width: 100%;
        background: $warning;
        color: $text;
        text-style: bold;
        text-align: center;
    }
    """


class ScreenBody(VerticalScroll, can_focus=False):
    """The part that scrolls (↑/↓) when it does not fit, so nothing is cut off at 40x16."""

    DEFAULT_CSS = """
    ScreenBody {
        height: 1fr;
        padding: 0 1;
        scrollbar-size-vertical: 1;
    }
    """


class FieldGrid(Grid):
    """Label / value lines; a long value (an address) wraps inside its column."""

    DEFAULT_CSS = """
    FieldGrid {
        grid-size: 2;
        grid-columns: auto 1fr;
        grid-rows: auto;
        grid-gutter: 0 1;
        height: auto;
    }
    FieldGrid > .field-label {
        color: $text-muted;
        width: auto;
    }
    """


def field_widgets(pairs: Iterable[tuple[str, str]]) -> list[Widget]:
    widgets: list[Widget] = []
    for label, value in pairs:
        widgets.append(Prose(label, classes="field-label"))
        widgets.append(Prose(value, classes="field-value"))
    return widgets


class KeypadFrame:
    """What KeypadScreen and KeypadDialog share. A screen sets TITLE (a message id), builds its
    body in `body()`, and lists the keys it answers in `keys()`: `key_<action>` for its own, and
    for BACK and the scroll keys the frame's unless it says otherwise."""

    TITLE: ClassVar[str] = ""
    # Nothing on a keypad screen takes focus (keys go to the screen): no search for something
    # focusable each time a screen is shown.
    AUTO_FOCUS: ClassVar[str | None] = ""
    # 40..63 columns: 3 keys a row; 64..79: 4; 80 and more: 6 (each key hint needs 12 cells).
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [
        (0, "-narrow"),
        (64, "-wide"),
        (80, "-widest"),
    ]

    context: PluginContext

    # -- for screens

    @property
    def locale(self) -> str:
        return self.context.locale

    def t(self, key: str, **fmt: object) -> str:
        return t(key, self.context.locale, **fmt)

    def title_text(self) -> str:
        return self.t(self.TITLE)

    def body(self) -> ComposeResult:
        yield from ()

    def keys(self) -> list[Key]:
        return []

    def refresh_keys(self) -> None:
        """Show the key bar for the screen's current keys (after its state changed)."""
        self.query_one(KeyBar).set_keys(self.keys())  # type: ignore[attr-defined]

    async def replace_body(self) -> None:
        """Build the body again for the screen's new state (awaited: the new one reuses ids)."""
        body = self.query_one(ScreenBody)  # type: ignore[attr-defined]
        await body.remove_children()
        await body.mount_all(list(self.body()))

    def set_title(self, text: str) -> None:
        self.query_one(TitleBar).update(text)  # type: ignore[attr-defined]

    def scroll_body(self, direction: int) -> None:
        """A page up (-1) or down (+1), keeping one line of the last page in view."""
        body = self.query_one(ScreenBody)  # type: ignore[attr-defined]
        page = max(1, body.scrollable_content_region.height - 1)
        body.scroll_relative(y=direction * page, animate=False)

    # -- what the shared keys do (BACK, SCROLL_UP, SCROLL_DOWN), on a screen whose keys() lists them

    def key_back(self) -> None:
        self.dismiss()  # type: ignore[attr-defined]

    def key_scroll_up(self) -> None:
        self.scroll_body(-1)

    def key_scroll_down(self) -> None:
        self.scroll_body(1)

    # -- the frame

    def compose(self) -> ComposeResult:
        self._set_breakpoint_class()
        # Every widget composed now is styled when it is mounted, against the whole stylesheet
        # when the screen's own was read before it was pushed (the plugin's first screen reads
        # them all). Then Textual's restyle of the whole screen when it is first shown, right
        # after, would find nothing to change.
        app = self.app  # type: ignore[attr-defined]
        self._styled_on_mount = all(app.stylesheet.has_source(str(path)) for path in self.css_path)  # type: ignore[attr-defined]
        if self.context.training:
            yield TrainingBanner(self.t("training.banner"))
        yield TitleBar(self.title_text(), markup=False)
        with ScreenBody():
            yield from self.body()
        yield KeyBar(self.keys(), self.locale)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.ScreenResume) and getattr(self, "_styled_on_mount", False):
            self._styled_on_mount = False  # only the first time: later, pseudo-classes may differ
            event.refresh_styles = False
        elif isinstance(event, events.Resize) and not getattr(self, "_sized", False):
            self._sized = True
            if event.size == self.size:  # type: ignore[attr-defined]
                # The screen's first layout gave it its size, and it tells itself so: Textual
                # would lay it out and draw it whole again at the same size, and the screen
                # below too. The breakpoint class was set in compose().
                return
        await super().on_event(event)  # type: ignore[misc]

    def on_unmount(self) -> None:
        forget_drawn_widgets()  # this screen's widgets are gone: what Textual drew for them can go

    def _set_breakpoint_class(self) -> None:
        """The width class (-narrow, -wide, -widest) Textual gives the screen on its first resize,
        given before its widgets are styled: given then, it restyles every one of them again
        before the screen's first frame."""
        width = self.app.size.width  # type: ignore[attr-defined]
        chosen = max((at, name) for at, name in self.HORIZONTAL_BREAKPOINTS if width >= at)[1]
        self.update_classes(  # type: ignore[attr-defined]
            {name: name == chosen for _at, name in self.HORIZONTAL_BREAKPOINTS}, update=False
        )

    def on_key(self, event: events.Key) -> None:
        for key in self.keys():
            if key.matches(event.key):
                event.stop()
                event.prevent_default()
                self._run_key(key)
                # The pressed look once the key's result is on the screen: restyling a button
                # costs more than most keys' own work, and must not hold that result back. Not
                # when the key has already put another screen on top or closed this one: the
                # look would be drawn under it, and the screen on top redrawn for it, twice.
                # (Screen.is_current will not do: it is also true of the screen just below.)
                if self.app.screen is self:  # type: ignore[attr-defined]
                    self.call_after_refresh(self._flash, key)  # type: ignore[attr-defined]
                return

    def _flash(self, key: Key) -> None:
        for grid in self.query(KeyGrid):  # type: ignore[attr-defined]
            if grid.display and grid.flash(key):
                return
        button = self._button_for(key)
        if button is not None:
            button.flash()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if isinstance(event.button, KeyButton):
            event.stop()
            # A key that stopped applying (its bar not yet rebuilt) does nothing.
            if any(key == event.button.key for key in self.keys()):
                self._run_key(event.button.key)

    def on_key_grid_pressed(self, event: KeyGrid.Pressed) -> None:
        event.stop()
        if event.key in self.keys():  # a key that stopped applying (bar not yet redrawn): nothing
            self._run_key(event.key)
            self._flash(event.key)

    def _button_for(self, key: Key) -> KeyButton | None:
        for button in self.query(KeyButton):  # type: ignore[attr-defined]
            if button.key == key and button.display:
                return button
        return None

    def _run_key(self, key: Key) -> None:
        handler = getattr(self, f"key_{key.action}")
        if key.arg is None:
            handler()
        else:
            handler(key.arg)


class KeypadScreen(KeypadFrame, Screen[None]):
    """A step of the plugin shown full screen."""

    def __init__(self, context: PluginContext) -> None:
        super().__init__()
        self.context = context


class KeypadDialog(KeypadFrame, ModalScreen[ResultT], Generic[ResultT]):
    """A step that returns a value to whoever pushed it (dismiss(value)); full screen too, since a
    40x16 terminal has no room for a box floating over another screen."""

    DEFAULT_CSS = """
    KeypadDialog {
        background: $background;
    }
    """

    def __init__(self, context: PluginContext) -> None:
        super().__init__()
        self.context = context


# The hints every screen uses, marked so the translation test sees them.
BACK = Key("escape", "back", N_("key.back"))
SCROLL_UP = Key("up", "scroll_up", N_("key.up"), also=("pageup",))
SCROLL_DOWN = Key("down", "scroll_down", N_("key.down"), also=("pagedown",))


def return_to(screen: Screen) -> None:
    """Pop every screen above `screen` now (not later, as Screen.pop_until_active does), so that
    whatever is pushed next lands on top of it."""
    app = screen.app
    while app.screen is not screen and len(app.screen_stack) > 1:
        app.pop_screen()
