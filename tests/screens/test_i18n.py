"""Every text the screens show exists in both languages, every message id the screens use is in
the table (and every one in the table is used), and key hints fit their 12-cell key bar cells."""

from __future__ import annotations

import ast
import string
from datetime import datetime
from pathlib import Path

import pytest

from screens.i18n import MESSAGES, date_time, day_time, duration, full_time
from terminal.config import LOCALES
from screens.keypad import KEY_GLYPHS, KEY_HINT_WIDTH
from terminal.voucher import display_width

SCREENS = Path(__file__).resolve().parents[2] / "screens"


def message_ids_used() -> dict[str, list[str]]:
    """Message ids the screens name: the first argument of t(), self.t() and N_()."""
    used: dict[str, list[str]] = {}
    for path in sorted(SCREENS.glob("*.py")):
        if path.name == "i18n.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            first = node.args[0]
            if name in ("t", "N_") and isinstance(first, ast.Constant) and isinstance(first.value, str):
                used.setdefault(first.value, []).append(f"{path.name}:{node.lineno}")
    # status names are looked up in i18n.py itself
    source = (SCREENS / "i18n.py").read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "N_":
            used.setdefault(node.args[0].value, []).append("i18n.py")
    return used


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_id_used_is_in_the_table() -> None:
    used = message_ids_used()
    missing = {key: where for key, where in used.items() if key not in MESSAGES}
    assert not missing, f"message ids used but not in screens/i18n.py: {missing}"


def test_every_message_in_the_table_is_used() -> None:
    unused = sorted(set(MESSAGES) - set(message_ids_used()))
    assert not unused, f"messages nobody shows: {unused}"


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_is_translated_with_the_same_placeholders(key: str) -> None:
    texts = MESSAGES[key]
    assert set(texts) == set(LOCALES), f"{key} is not in {set(LOCALES) - set(texts)}"
    assert all(texts[locale].strip() for locale in LOCALES), f"{key} has an empty text"
    assert placeholders(texts["zh_CN"]) == placeholders(texts["en"]), key


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
            hint = f"{KEY_GLYPHS.get(name, name)} {MESSAGES[label][locale]}"
            assert display_width(hint) <= KEY_HINT_WIDTH, (where, locale, hint)


def test_dates_as_each_locale_writes_them() -> None:
    when = datetime(2026, 11, 28, 10, 0, 3)
    assert day_time(when, "zh_CN") == "11月28日 10:00"
    assert day_time(when, "en") == "28 Nov 10:00"
    assert date_time(when, "zh_CN") == "2026年11月28日 10:00"
    assert date_time(when, "en") == "28 Nov 2026 10:00"
    assert full_time(when, "en") == "28 Nov 2026 10:00:03"
    assert duration(299, "zh_CN") == "4分59秒" and duration(299, "en") == "4 min 59 s"
    assert duration(9, "zh_CN") == "9秒" and duration(9, "en") == "9 s"
