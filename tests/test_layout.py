"""The package is layered one way and has no import cycles.

Stages: generator → event record → detector → writers. The generator never imports the
detector; the detector reads the event record, never a production channel; no module imports
itself back through a chain of module-level imports (imports inside functions included, since a
cycle there still ties two modules into one).
"""

import ast
import itertools
from collections.abc import Callable
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


#: What the generator may import from alpsim outside its own folder: PDG data, the event record
#: it fills and the card reader. Never the detector, the writers, the runner or the validation.
GENERATOR_MAY_IMPORT = ("alpsim.pdg", "alpsim.record", "alpsim.toml_fields")
#: What the detector may import from the generator: the collider ([beams], owned by the generator
#: even though the detector card file holds it) and four-vector algebra. Never a production
#: channel, the ALP model or a decay table: the detector reads the event record.
DETECTOR_MAY_IMPORT_FROM_GENERATOR = ("alpsim.generator.beams", "alpsim.generator.kinematics")


def _edges_leaving(
    graph: dict[str, set[str]], source: str, allowed: Callable[[str], bool]
) -> list[tuple[str, str]]:
    """Imports (module, target) of modules under `source` whose target is not `allowed`."""
    return sorted(
        (m, t) for m, ts in graph.items() if m.startswith(source) for t in ts if not allowed(t)
    )


def generator_violations(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Imports of generator modules that leave the generator for anything but the allowed."""
    return _edges_leaving(
        graph,
        "alpsim.generator",
        lambda t: t.startswith("alpsim.generator") or t in GENERATOR_MAY_IMPORT,
    )


def detector_violations(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Imports of detector modules that reach into the generator beyond beams and kinematics."""
    return _edges_leaving(
        graph,
        "alpsim.detector",
        lambda t: not t.startswith("alpsim.generator") or t in DETECTOR_MAY_IMPORT_FROM_GENERATOR,
    )


def import_cycles(graph: dict[str, set[str]]) -> list[str]:
    """Cycles of the import graph; a package importing its own submodule is not a cycle unless
    the submodule imports a module that imports the package back."""
    seen: dict[str, int] = {}
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        seen[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt.startswith(node + "."):  # a package importing its own submodule
                continue
            if seen.get(nxt) == 1:
                cyc = [*stack[stack.index(nxt) :], nxt]
                if not any(b.startswith(a + ".") for a, b in itertools.pairwise(cyc)):
                    cycles.append(" -> ".join(cyc))
            elif nxt not in seen:
                visit(nxt, stack)
        stack.pop()
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            visit(node, [])
    return cycles


def downstream_violations(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Imports against the flow generator → event record → detector → writers not covered above:
    the event record importing the generator or the detector, a detector stage importing the
    writers."""
    record = _edges_leaving(
        graph, "alpsim.record", lambda t: not t.startswith(("alpsim.generator", "alpsim.detector"))
    )
    stages = _edges_leaving(
        graph, "alpsim.detector", lambda t: not t.startswith("alpsim.detector.writers")
    )
    return record + [(m, t) for m, t in stages if not m.startswith("alpsim.detector.writers")]


def test_record_and_detector_never_import_downstream(graph):
    bad = downstream_violations(graph)
    assert not bad, f"imports against generator → record → detector → writers: {bad}"
    synthetic = {
        "alpsim.record": {"alpsim.detector.chain"},
        "alpsim.detector.chain": {"alpsim.detector.writers.table"},
        "alpsim.detector.writers.table": {"alpsim.detector.writers.base"},
    }
    assert downstream_violations(synthetic) == [
        ("alpsim.record", "alpsim.detector.chain"),
        ("alpsim.detector.chain", "alpsim.detector.writers.table"),
    ]


def test_generator_never_imports_the_detector(graph):
    bad = generator_violations(graph)
    assert not bad, f"the generator imports outside {GENERATOR_MAY_IMPORT}: {bad}"


def test_detector_reads_the_record_not_the_generator(graph):
    bad = detector_violations(graph)
    assert not bad, f"the detector imports generator modules beyond the collider: {bad}"


def test_no_import_cycles(graph):
    cycles = import_cycles(graph)
    assert not cycles, "\n".join(cycles)


def test_collider_settings_belong_to_the_generator():
    """[beams] is read and held by the generator (generator/beams.py) even though the detector
    card file holds it; production channels receive the collider, not the detector settings."""
    import inspect

    from alpsim.detector import config
    from alpsim.generator.beams import BeamSettings, beams_from_table
    from alpsim.generator.channels import CHANNELS

    assert BeamSettings.__module__ == beams_from_table.__module__ == "alpsim.generator.beams"
    assert config.BeamSettings is BeamSettings  # the detector settings hold the generator's type
    for name, cls in CHANNELS.items():
        params = inspect.signature(cls.from_card).parameters
        names = [p for p in params if p not in ("cls", "self")]
        assert "beams" in names and "detector" not in names, (name, names)


def test_layering_checks_can_fail(tmp_path):
    """The checks above see a forbidden import in a synthetic tree: a generator module importing
    the detector (at module level and inside a function), a detector module importing a channel,
    and a two-module cycle."""
    pkg = tmp_path / "pkg"
    (pkg / "generator" / "channels").mkdir(parents=True)
    (pkg / "detector").mkdir()
    files = {
        "generator/__init__.py": "",
        "generator/channels/__init__.py": "",
        "generator/channels/chan.py": "from ...detector import config\n",
        "generator/kin.py": "def f():\n    from alpsim.detector.config import X\n",
        "detector/__init__.py": "",
        "detector/config.py": "from ..generator.channels.chan import Y\nfrom . import chain\n",
        "detector/chain.py": "from .config import Z\n",
    }
    mods = {}
    for rel, text in files.items():
        path = pkg / rel
        path.write_text(text)
        parts = path.relative_to(pkg).with_suffix("").parts
        parts = parts[:-1] if parts[-1] == "__init__" else parts
        mods[".".join(("alpsim", *parts))] = path
    graph = {name: _imports(name, path, set(mods)) for name, path in mods.items()}
    assert ("alpsim.generator.channels.chan", "alpsim.detector.config") in generator_violations(
        graph
    )
    assert ("alpsim.generator.kin", "alpsim.detector.config") in generator_violations(graph)
    assert detector_violations(graph) == [
        ("alpsim.detector.config", "alpsim.generator.channels.chan")
    ]
    assert any("alpsim.detector.chain" in c for c in import_cycles(graph))


def _private_imports(path: Path, package: str) -> list[str]:
    """Names of `package` modules or objects starting with '_' that a file imports."""
    bad = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level == 0 and not (mod == package or mod.startswith(package + ".")):
                continue
            names = [*mod.split("."), *(a.name for a in node.names)]
        elif isinstance(node, ast.Import):
            names = [p for a in node.names if a.name.startswith(package) for p in a.name.split(".")]
        else:
            continue
        bad += [
            f"{path.name}:{node.lineno}"
            for n in names
            if n.startswith("_") and not n.endswith("__")
        ]
    return bad


@pytest.mark.parametrize("folder", ["validation", "benchmarks", "examples"])
def test_validation_benchmarks_and_examples_use_public_modules(folder):
    """The validation suite, the benchmarks and the examples use alpsim as a user would: no
    private module or name (leading underscore) is imported."""
    files = sorted((REPO / folder).glob("*.py"))
    assert files
    bad = [
        b for path in files if path.name != "__init__.py" for b in _private_imports(path, "alpsim")
    ]
    # relative imports inside validation/ are checked too (the suite is alpsim.validation)
    assert not bad, bad


def test_private_import_detector_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from alpsim.toml_fields import _MISSING\nimport alpsim._version\n")
    assert len(_private_imports(bad, "alpsim")) == 2
    good = tmp_path / "good.py"
    good.write_text("from __future__ import annotations\nfrom alpsim.pdg import mass\n")
    assert _private_imports(good, "alpsim") == []
