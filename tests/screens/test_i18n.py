"""Key hints fit their 12-cell key bar cells in every language (the texts are in
terminal/catalogue.py; tests/terminal/test_catalogue.py holds the catalogue itself)."""

from __future__ import annotations

import ast
from pathlib import Path

from screens.keypad import KEY_GLYPHS, KEY_HINT_WIDTH
from terminal.catalogue import LOCALES, t
from terminal.text_width import display_width

SCREENS = Path(__file__).resolve().parents[2] / "screens"


def key_hints_declared() -> list[tuple[str, str, str]]:
    """(key name, label id, where) of every Key(...) the screens declare with a key-bar hint."""
    found = []
    for path in sorted(SCREENS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "Key"
                and len(node.args) >= 3
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[2], ast.Call)
            ):
                found.append((node.args[0].value, node.args[2].args[0].value, f"{path.name}:{node.lineno}"))
    return found


def test_key_hints_fit_a_key_bar_cell() -> None:
    hints = key_hints_declared()
    assert len(hints) > 15
    for name, label, where in hints:
        for locale in LOCALES:
            hint = f"{KEY_GLYPHS.get(name, name)} {t(label, locale)}"
            assert display_width(hint) <= KEY_HINT_WIDTH, (where, locale, hint)
