"""protocol/ stays sans-I/O: no serial port, UI, event loop, clock or database in it."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.material import REPO

FORBIDDEN = {"serial", "textual", "asyncio", "time", "sqlite3", "threading", "socket", "os"}


def test_no_module_of_protocol_imports_io_or_the_clock():
    offenders = []
    for path in sorted((REPO / "protocol").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_importing_protocol_loads_no_port_ui_loop_or_database():
    code = (
        "import sys, protocol, protocol.trace; "
        "print(sorted(m for m in ('serial', 'textual', 'asyncio', 'sqlite3') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"
