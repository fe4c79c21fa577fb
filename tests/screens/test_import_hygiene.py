"""Arrows point down: screens never open a port (no serial, no transport) and never reach into
the link layer; terminal/ and protocol/ never import screens."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCREENS_MAY_NOT_IMPORT = ("serial", "terminal.transport", "sqlite3", "protocol.link", "protocol.connection")


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_screens_do_not_open_ports_or_drive_the_link() -> None:
    for path in sorted((REPO / "screens").glob("*.py")):
        for name in imports(path):
            assert not name.startswith(SCREENS_MAY_NOT_IMPORT), f"{path.name} imports {name}"


def test_nothing_below_imports_screens() -> None:
    for folder in ("terminal", "protocol"):
        for path in sorted((REPO / folder).glob("*.py")):
            assert not any(name.split(".")[0] == "screens" for name in imports(path)), path
