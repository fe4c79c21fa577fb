"""The catalogue: every text is there in every language, with the same placeholders; every message
id the code names is in it, and every one in it is named; the protocol's names are all in words;
and dates as each language writes them."""

from __future__ import annotations

import ast
import string
from datetime import datetime
from pathlib import Path

import pytest

from protocol.enums import Reason, Result, Service, Status
from terminal.catalogue import (
    DEFAULT_LOCALE,
    LOCALES,
    TEXTS,
    date_time,
    day_time,
    duration,
    full_time,
    reason_name,
    result_text,
    service_name,
    status_name,
)

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    path for folder in ("terminal", "screens") for path in (ROOT / folder).glob("*.py") if path.name != "catalogue.py"
)
# Message ids made of a protocol field's name and its value's: SERVICE.REPAIR, REASON.OTHER, STATUS.BOOKED.
NAMED_BY_ENUM = {"SERVICE": Service, "REASON": Reason, "STATUS": Status}


def calls(name: str) -> list[tuple[ast.Call, str]]:
    """Every call of a function or method `name` in terminal/ and screens/, with where it is."""
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args:
                called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if called == name:
                    found.append((node, f"{path.parent.name}/{path.name}:{node.lineno}"))
    return found


def message_ids_named() -> dict[str, list[str]]:
    """Message ids the code names: the first argument of t(), self.t() and N_()."""
    named: dict[str, list[str]] = {}
    for function in ("t", "N_"):
        for call, where in calls(function):
            first = call.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                named.setdefault(first.value, []).append(where)
    return named


def result_forms_named() -> set[str]:
    """The forms of the RESULT table the code asks result_text() for."""
    return {
        call.args[1].value
        for call, _ in calls("result_text")
        if len(call.args) > 1 and isinstance(call.args[1], ast.Constant)
    }


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_has_every_message() -> None:
    assert set(TEXTS) == set(LOCALES)
    every = set(TEXTS[DEFAULT_LOCALE])
    for locale in LOCALES:
        assert not every - set(TEXTS[locale]), f"missing in {locale}: {sorted(every - set(TEXTS[locale]))}"
        assert not set(TEXTS[locale]) - every, f"only in {locale}: {sorted(set(TEXTS[locale]) - every)}"


@pytest.mark.parametrize("key", sorted(TEXTS[DEFAULT_LOCALE]))
def test_every_message_is_translated_with_the_same_placeholders(key: str) -> None:
    texts = {locale: TEXTS[locale].get(key, "") for locale in LOCALES}
    assert all(text.strip() for text in texts.values()), f"{key} has an empty text: {texts}"
    assert len({frozenset(placeholders(text)) for text in texts.values()}) == 1, texts


def test_every_message_id_named_is_in_the_catalogue() -> None:
    missing = {key: where for key, where in message_ids_named().items() if key not in TEXTS[DEFAULT_LOCALE]}
    assert not missing, f"message ids named but not in terminal/catalogue.py: {missing}"


def test_every_message_in_the_catalogue_is_named() -> None:
    named = set(message_ids_named())
    forms = result_forms_named()

    def is_named(key: str) -> bool:
        family, _, rest = key.partition(".")
        if family in NAMED_BY_ENUM:
            return rest in NAMED_BY_ENUM[family].__members__
        if family == "RESULT":
            result, _, form = rest.partition(".")
            return (result == "OTHER" or result in Result.__members__) and form in forms
        return key in named

    unused = sorted(key for key in TEXTS[DEFAULT_LOCALE] if not is_named(key))
    assert not unused, f"messages nobody shows: {unused}"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_service_reason_and_status_has_words(locale: str) -> None:
    for member in Service:
        assert service_name(member, locale) != str(int(member)), member
    for member in Reason:
        assert reason_name(member, locale) != str(int(member)), member
    for member in Status:
        assert status_name(member, locale) != str(int(member)), member


def test_a_result_without_words_of_its_own_is_named_by_its_code() -> None:
    assert result_text(Result.NOT_FOUND, "short", "en") == "not found"
    assert result_text(Result.BAD_FORMAT, "short", "en") == "error BAD_FORMAT"
    assert result_text(Result.BAD_FORMAT, "short", "zh_CN") == "错误 BAD_FORMAT"
    assert result_text(Result.BAD_FORMAT, "command_line", "en") == "BAD_FORMAT"
    assert result_text(Result.BAD_FORMAT, "command_todo", "en") == "Nothing was done; try again later."
    # A listing the host refused with a result that has no words for it is "the host refused".
    assert result_text(Result.NOT_FOUND, "problem_title", "en") == "The host refused"


def test_dates_as_each_locale_writes_them() -> None:
    when = datetime(2026, 11, 28, 10, 0, 3)
    assert day_time(when, "zh_CN") == "11月28日 10:00"
    assert day_time(when, "en") == "28 Nov 10:00"
    assert date_time(when, "zh_CN") == "2026年11月28日 10:00"
    assert date_time(when, "en") == "28 Nov 2026 10:00"
    assert full_time(when, "en") == "28 Nov 2026 10:00:03"
    assert duration(299, "zh_CN") == "4分59秒" and duration(299, "en") == "4 min 59 s"
    assert duration(9, "zh_CN") == "9秒" and duration(9, "en") == "9 s"
