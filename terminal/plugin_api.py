"""The contract between a POS shell application and its plugins: how a plugin is found (the
`pos_terminal.plugins` entry point group), what it shows in the menu, and what it is handed."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

if TYPE_CHECKING:
    from terminal.client import HostClient
    from terminal.config import TerminalConfig
    from terminal.journal import Journal
    from terminal.pin_lockout import PinLockout
    from terminal.printing import VoucherPrinter
    from terminal.settler import Settler

ENTRY_POINT_GROUP = "pos_terminal.plugins"


@dataclass(frozen=True)
class MenuEntry:
    key: str  # the digit that selects it in the shell's menu
    labels: Mapping[str, str]  # locale -> label, e.g. {"zh_CN": "取消预约", "en": "Cancel appointment"}

    def label(self, locale: str) -> str:
        return self.labels.get(locale) or next(iter(self.labels.values()))


@dataclass(frozen=True)
class PluginContext:
    """What the shell hands a plugin: the terminal's services, never a port to open."""

    client: HostClient
    journal: Journal
    config: TerminalConfig
    locale: str
    training: bool = False
    printer: VoucherPrinter | None = None
    # Settles cancellations whose outcome is unknown; screens ask it and watch it, never settle
    # themselves. A shell passes the one it starts (settling what is open) and stops when it
    # quits; one made here for a shell that gives none only serves the rounds screens ask for.
    settler: Settler = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.settler is None:
            from terminal.settler import Settler

            object.__setattr__(self, "settler", Settler(self.client))

    @property
    def pin_lockout(self) -> PinLockout:
        """The supervisor PIN's wrong tries, kept in the journal's file (so they outlast a restart)."""
        from terminal.pin_lockout import PinLockout

        return PinLockout(self.journal)


@dataclass(frozen=True)
class Plugin:
    name: str
    entry: MenuEntry
    # Builds the plugin's first screen (a textual Screen) for this context.
    first_screen: Callable[[PluginContext], Any]
    # Loads what first_screen needs (its screens' modules) ahead of time, so that the first key
    # press does not wait for it; a shell calls it off the UI thread once its menu is painted.
    prepare: Callable[[], None] | None = None
    # Its screens and the widget classes they mount. The shell reads their CSS (DEFAULT_CSS, and
    # a screen's CSS_PATH files) at once while the menu is idle: read at a screen's first push, it
    # would re-parse the whole stylesheet and restyle every widget of the app in the middle of a key.
    widget_classes: Callable[[], Sequence[type]] | None = None


@dataclass(frozen=True)
class BrokenPlugin:
    """An installed plugin that could not be loaded: the shell says so and starts without it."""

    name: str  # the entry point's name
    problem: str


def discover_plugins(broken: list[BrokenPlugin] | None = None) -> list[Plugin]:
    """Every installed plugin that loads, in menu-key order; the others go to `broken` (one bad
    install must not keep the terminal from starting)."""
    found = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            plugin = point.load()
        except Exception as exc:  # noqa: BLE001 - whatever a third party's import raises
            problem = f"{type(exc).__name__}: {exc}"
        else:
            if isinstance(plugin, Plugin):
                found.append(plugin)
                continue
            problem = f"{point.value} is a {type(plugin).__name__}, not a terminal.plugin_api.Plugin"
        if broken is not None:
            broken.append(BrokenPlugin(point.name, problem))
    return sorted(found, key=lambda plugin: plugin.entry.key)
