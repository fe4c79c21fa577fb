"""The layers' arrows and no import cycles, read from the source (CONTRIBUTING.md, "Layers").

screens -> terminal -> protocol; simulator -> protocol, and to a few leaf modules of terminal/
that need nothing of the project but protocol/ (the serial line and its driver, the sqlite file,
the exit codes, the text catalogue, the line speeds, the capture file). terminal.demo alone reaches
into simulator/: the built-in simulated host that
`pos-terminal` runs when no host is configured. An import under `if TYPE_CHECKING:` is not a dependency and is not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("protocol", "terminal", "screens", "simulator")
# The modules of terminal/ that simulator/ may use; each may import only protocol/ and these.
SHARED_WITH_SIMULATOR = {
    "terminal.transport",
    "terminal.sqlite_file",
    "terminal.exit_codes",
    "terminal.catalogue",
    "terminal.line_speed",
    "terminal.capture_file",
}
DEMO_HOST = "terminal.demo"


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(tree: ast.AST, known: set[str]) -> set[str]:
    """The project's modules that `tree` imports, at any depth but TYPE_CHECKING blocks."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from package import module` names a module too.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {name for name in found if name in known}


def _graph() -> dict[str, set[str]]:
    paths = [path for package in PACKAGES for path in sorted((REPO / package).glob("*.py"))]
    known = {_module_name(path) for path in paths}
    return {
        _module_name(path): _imported(ast.parse(path.read_text(encoding="utf-8")), known) - {_module_name(path)}
        for path in paths
    }


def _package(module: str) -> str:
    return module.split(".")[0]


def test_no_import_cycle_between_the_projects_modules() -> None:
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, str] = {}  # "open" while on the path, "done" after

    def walk(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                walk(target, path + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


def test_the_arrows_point_down() -> None:
    allowed = {
        "protocol": {"protocol"},
        "terminal": {"terminal", "protocol"},
        "screens": {"screens", "terminal", "protocol"},
        "simulator": {"simulator", "protocol"},
    }
    wrong = []
    for module, targets in _graph().items():
        for target in targets:
            if _package(target) in allowed[_package(module)]:
                continue
            if _package(module) == "simulator" and target in SHARED_WITH_SIMULATOR:
                continue
            if module == DEMO_HOST and _package(target) == "simulator":
                continue
            wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_what_the_simulator_shares_needs_nothing_but_protocol_and_each_other() -> None:
    graph = _graph()
    for module in SHARED_WITH_SIMULATOR:
        beyond = {target for target in graph[module] if _package(target) != "protocol"}
        assert beyond <= SHARED_WITH_SIMULATOR, module
