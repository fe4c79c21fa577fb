"""The sqlite base of the journal and the host simulator's store stays a leaf: the simulator
imports it, so it may import nothing of terminal/ or screens/ (nor anything outside the stdlib)."""

from __future__ import annotations

import ast
import sys

from tests.material import REPO


def test_the_sqlite_base_imports_only_the_standard_library() -> None:
    tree = ast.parse((REPO / "terminal" / "sqlite_file.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module, "a relative import"
            imported.add(node.module.split(".")[0])
    assert imported - sys.stdlib_module_names == set()
