"""The package is layered one way and has no import cycles.

Stages: generator → event record → detector → writers. The generator never imports the
detector; the detector reads the event record, never a production channel; no module imports
itself back through a chain of module-level imports (imports inside functions included, since a
cycle there still ties two modules into one).
"""

import ast
import itertools
from pathlib import Path

import pytest

from .conftest import REPO

FOLDERS = {"alpsim": "alpsim", "generator": "alpsim.generator", "detector": "alpsim.detector",
           "validation": "alpsim.validation"}  # fmt: skip


def _modules() -> dict[str, Path]:
    mods = {}
    for folder, package in FOLDERS.items():
        for path in (REPO / folder).rglob("*.py"):
            rel = path.relative_to(REPO / folder).with_suffix("").parts
            if rel[-1] == "__init__":
                rel = rel[:-1]
            mods[".".join((package, *rel))] = path
    return mods


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                root = base[: len(base) - node.level + 1]
                mod = ".".join(root + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
        else:
            continue
        out |= {t for t in targets if t in known and t != name}
    return out


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    mods = _modules()
    return {name: _imports(name, path, set(mods)) for name, path in mods.items()}


def test_generator_never_imports_the_detector(graph):
    bad = [(m, t) for m, ts in graph.items() if m.startswith("alpsim.generator")
           for t in ts if t.startswith(("alpsim.detector", "alpsim.validation"))]  # fmt: skip
    assert not bad


def test_detector_does_not_import_production_channels(graph):
    bad = [(m, t) for m, ts in graph.items() if m.startswith("alpsim.detector")
           for t in ts if t.startswith("alpsim.generator.channels")]  # fmt: skip
    assert not bad


def test_no_import_cycles(graph):
    # package __init__ re-exports are edges too; a package importing its own submodule is not a
    # cycle unless the submodule imports a module that imports the package back
    seen: dict[str, int] = {}
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        seen[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt.startswith(node + "."):  # a package importing its own submodule
                continue
            if seen.get(nxt) == 1:
                cyc = [*stack[stack.index(nxt):], nxt]
                if not any(b.startswith(a + ".") for a, b in itertools.pairwise(cyc)):
                    cycles.append(" -> ".join(cyc))
            elif nxt not in seen:
                visit(nxt, stack)
        stack.pop()
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            visit(node, [])
    assert not cycles, "\n".join(cycles)
