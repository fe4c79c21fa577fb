"""Textual's private API, which only terminal/textual_private.py uses (Textual is pinned exactly).
The first tests name each private it relies on and check what it relies on them for: after a
Textual upgrade, the one that fails says what is gone or behaves otherwise, and that module is
the one place to change. The last ones hold every other module to Textual's public API."""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import pkgutil
import re
import textwrap
from functools import cache, reduce
from pathlib import Path

import pytest
import textual
from textual import constants, events
from textual.app import App
from textual.color import Color
from textual.drivers.headless_driver import HeadlessDriver
from textual.screen import Screen
from textual.widgets import Static

from terminal.textual_private import (
    InputParser,
    css_path_files,
    default_css,
    forget_drawn_widgets,
    set_escape_wait,
)

REPO = Path(__file__).resolve().parents[2]
PRIVATE_MODULE = REPO / "terminal" / "textual_private.py"
CHECKED_FOLDERS = ("terminal", "screens", "simulator", "protocol", "bench", "tests")
PROJECT_PACKAGES = ("terminal", "screens")  # where the classes built on Textual's are

# (module, attribute path): every private terminal/textual_private.py reaches. The instance
# attributes (a driver's _debug, a parser's _timeout_time) are checked on instances below.
PRIVATES = [
    ("textual._parser", "ParseError"),
    ("textual._time", "get_time"),
    ("textual._xterm_parser", "XTermParser"),
    ("textual._path", "_css_path_type_as_list"),
    ("textual._path", "_make_path_object_relative"),
    ("textual._styles_cache", "StylesCache.get_inner_outer.cache_clear"),
    ("textual.dom", "DOMNode._get_default_css"),
    ("textual.constants", "ESCAPE_DELAY"),
]


def textual_fails(what: str) -> str:
    return (
        f"Textual {textual.__version__}: {what}. terminal/textual_private.py relies on it; "
        "change that module (or keep the pin in pyproject.toml)."
    )


@pytest.mark.parametrize(("module", "attribute"), PRIVATES, ids=[f"{m}.{a}" for m, a in PRIVATES])
def test_textual_still_has_each_private_used(module: str, attribute: str) -> None:
    try:
        found = importlib.import_module(module)
    except ImportError:
        pytest.fail(textual_fails(f"no module {module}"))
    try:
        reduce(getattr, attribute.split("."), found)
    except AttributeError:
        pytest.fail(textual_fails(f"no {module}.{attribute}"))


def headless_driver(*, debug: bool) -> HeadlessDriver:
    async def make() -> HeadlessDriver:
        return HeadlessDriver(App(), debug=debug)  # a driver is made on the app's event loop

    return asyncio.run(make())


def test_the_input_parser_takes_a_lone_escape_once_the_wait_set_is_over(monkeypatch) -> None:
    """What terminal/escape_key_driver.py relies on: the parser reads the wait at each ESC
    (constants.ESCAPE_DELAY), says when it is over (its _timeout_time, on the clock of
    textual._time.get_time, which is input_clock()), and tick() then gives the Esc key."""
    import textual._parser
    import textual._time

    assert textual._parser.get_time is textual._time.get_time, textual_fails(
        "the input parser's clock is not textual._time.get_time"
    )
    driver = headless_driver(debug=False)  # debug=True: the parser would log keys to ./keys.log
    assert getattr(driver, "_debug", None) is False, textual_fails("a driver keeps its debug flag elsewhere")
    now = [100.0]
    monkeypatch.setattr(textual._parser, "get_time", lambda: now[0])
    monkeypatch.setattr(constants, "ESCAPE_DELAY", constants.ESCAPE_DELAY)  # put back afterwards
    set_escape_wait(0.01)
    parser = InputParser(driver)

    assert list(parser.feed("\x1b")) == []
    assert parser.sequence_due() == pytest.approx(100.01), textual_fails("_timeout_time is not when the wait ends")
    assert list(parser.tick()) == []
    now[0] = 100.01
    keys = [event.key for event in parser.tick() if isinstance(event, events.Key)]
    assert keys == ["escape"], textual_fails("tick() does not give a lone ESC as Esc once its wait is over")
    assert parser.sequence_due() is None

    # A sequence that comes whole is one key, and nothing is left waiting.
    assert [event.key for event in parser.feed("\x1b[A")] == ["up"]
    assert parser.sequence_due() is None
    parser.feed("\x1b")
    parser.close()  # the end of input with a sequence half read raises nothing


class Boxed(Static):
    DEFAULT_CSS = "Boxed { height: 1; }"


def test_default_css_is_what_textual_adds_for_a_widget_class() -> None:
    """(read_from, css, tie_breaker, scope) for the class and each base with DEFAULT_CSS, under
    the keys Textual adds them by (tests/screens/test_cancel_flow.py checks the whole flow)."""
    sources = default_css(Boxed)
    assert sources[0] == ((__file__, "Boxed.DEFAULT_CSS"), "Boxed { height: 1; }", 0, "Boxed"), textual_fails(
        "DOMNode._get_default_css gives something else"
    )
    assert [where for (_path, where), *_rest in sources][:2] == ["Boxed.DEFAULT_CSS", "Static.DEFAULT_CSS"]


class TwoFiles(Screen[None]):
    CSS_PATH = ["two_files.tcss", Path("/elsewhere/absolute.tcss")]


def test_css_path_files_are_the_files_textual_reads_for_a_screen() -> None:
    expected = [Path(__file__).parent / "two_files.tcss", Path("/elsewhere/absolute.tcss")]
    assert css_path_files(TwoFiles) == expected
    assert css_path_files(TwoFiles) == TwoFiles().css_path, textual_fails("Screen.css_path is resolved otherwise")
    assert css_path_files(Screen) == []


def test_forget_drawn_widgets_empties_the_cache_that_keeps_them() -> None:
    from textual._styles_cache import StylesCache

    StylesCache().get_inner_outer(Color(0, 0, 0), Color(10, 20, 30))
    assert StylesCache.get_inner_outer.cache_info().currsize > 0
    forget_drawn_widgets()
    assert StylesCache.get_inner_outer.cache_info().currsize == 0


# -- everything else: Textual's public API only


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.endswith("__")


# Public API that begins with "_" (collections.namedtuple's methods, sys._getframe), which
# Textual's source also happens to mention.
STANDARD_UNDERSCORE_NAMES = {"_replace", "_asdict", "_fields", "_make", "_field_defaults", "_getframe"}


def textual_private_names() -> set[str]:
    """Every `_` name Textual's source mentions (its own and the ones it reads), but the
    standard library's public names that begin with one."""
    names: set[str] = set()
    for path in Path(textual.__file__).parent.rglob("*.py"):
        names.update(re.findall(r"\b(_[A-Za-z]\w*)", path.read_text(encoding="utf-8")))
    return {name for name in names if is_private(name)} - STANDARD_UNDERSCORE_NAMES


def checked_files() -> list[Path]:
    skipped = {PRIVATE_MODULE, Path(__file__).resolve()}
    return [
        path for folder in CHECKED_FOLDERS for path in sorted((REPO / folder).rglob("*.py")) if path not in skipped
    ]


def names_defined(tree: ast.AST) -> set[str]:
    """The `_` names a module defines: functions, classes, variables, arguments, its own
    attributes (on self or cls)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and is_self(node.value):
            names.add(node.attr)
    return {name for name in names if is_private(name)}


def is_self(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id in ("self", "cls")


def is_textual_private_module(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "textual" and any(part.startswith("_") for part in parts)


def private_textual_uses(path: Path, tree: ast.AST, textual_names: set[str], project_names: set[str]) -> list[str]:
    where = path.relative_to(REPO)
    found: list[str] = []
    other_modules: set[str] = set()  # bound to another library's module (os): its `_` names are its own
    from_textual: set[str] = set()  # bound to Textual's modules and classes: setting on one changes Textual
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                (from_textual if alias.name.split(".")[0] == "textual" else other_modules).add(bound)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "textual":
            from_textual.update(alias.asname or alias.name for alias in node.names)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            found += [f"{where}:{line} imports {a.name}" for a in node.names if is_textual_private_module(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "textual":
            if is_textual_private_module(node.module):
                found.append(f"{where}:{line} imports from {node.module}")
            found += [f"{where}:{line} imports {node.module}.{a.name}" for a in node.names if is_private(a.name)]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if re.search(r"\btextual(\.\w+)*\._", node.value):
                found.append(f"{where}:{line} names a private Textual module in a string (code it runs, a patch)")
        elif isinstance(node, ast.Attribute):
            receiver = node.value
            if (
                is_private(node.attr)
                and node.attr in textual_names
                and node.attr not in project_names
                and not (isinstance(receiver, ast.Name) and receiver.id in other_modules)
            ):
                found.append(f"{where}:{line} uses Textual's private {node.attr} ({ast.unparse(node)})")
            if isinstance(node.ctx, ast.Store):
                base = receiver
                while isinstance(base, ast.Attribute):
                    base = base.value
                if isinstance(base, ast.Name) and base.id in from_textual:
                    found.append(f"{where}:{line} sets {ast.unparse(node)}, which is Textual's")
    return found


def test_no_other_module_uses_textual_private_api() -> None:
    textual_names = textual_private_names()
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in checked_files()}
    project_names = set().union(*(names_defined(tree) for tree in trees.values()))
    found = [
        use for path, tree in trees.items() for use in private_textual_uses(path, tree, textual_names, project_names)
    ]
    assert found == [], (
        "Only terminal/textual_private.py may use Textual's private API; use (or add) one of its wrappers:\n"
        + "\n".join(found)
    )


def is_textual(cls: type) -> bool:
    return cls.__module__.split(".")[0] == "textual"


def project_classes_on_textual() -> list[type]:
    """The classes of terminal/ and screens/ that are (or extend) Textual's."""
    classes = []
    for package in PROJECT_PACKAGES:
        for info in pkgutil.iter_modules([str(REPO / package)]):
            module = importlib.import_module(f"{package}.{info.name}")
            if Path(module.__file__).resolve() == PRIVATE_MODULE:
                continue
            classes += [
                cls
                for cls in vars(module).values()
                if inspect.isclass(cls)
                and cls.__module__ == module.__name__
                and any(is_textual(base) for base in cls.__mro__)
            ]
    return classes


@cache
def own_private_names(cls: type) -> frozenset[str]:
    """The `_` names a project class's own source defines or reaches on self (or cls)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    names = {
        node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute) and is_self(node.value)
    } | {node.name for node in tree.body[0].body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    return frozenset(name for name in names if is_private(name))


@cache
def textual_class_private_names(cls: type) -> frozenset[str]:
    """The `_` names a Textual class has or its source mentions."""
    names = {name for name in vars(cls) if is_private(name)}
    try:
        names.update(re.findall(r"\b(_[A-Za-z]\w*)", inspect.getsource(cls)))
    except (OSError, TypeError):
        pass
    return frozenset(name for name in names if is_private(name))


def test_no_class_on_textual_reads_or_replaces_textual_private_members() -> None:
    """A `_` name that a Textual base class has is Textual's, read or overwritten on self."""
    clashes = []
    for cls in project_classes_on_textual():
        bases = cls.__mro__
        textual_names = set().union(*(textual_class_private_names(b) for b in bases if is_textual(b)))
        ours = set().union(*(own_private_names(b) for b in bases if b.__module__.split(".")[0] in PROJECT_PACKAGES))
        clashes += [f"{cls.__module__}.{cls.__qualname__}: {name}" for name in sorted(ours & textual_names)]
    assert clashes == [], "Textual's private members, on classes built on Textual's:\n" + "\n".join(clashes)
