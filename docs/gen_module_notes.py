"""Generate the page "Module notes": the docstring of every generator and detector module.

The physics and detector pages of the guide summarise; the module docstrings hold the full
account next to the code (formulas, sources, approximations). This page shows them verbatim,
regenerated at every build by the mkdocs hook (`docs/hooks.py`), so it cannot drift from the
code. Run `python docs/gen_module_notes.py OUTFILE` to write it by hand.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: (folder of the checkout, import name, title) in the order of the data flow
STAGES = (
    ("generator", "alpsim.generator", "Generator"),
    ("detector", "alpsim.detector", "Detector"),
)


def module_docstrings(folder: Path) -> list[tuple[str, str]]:
    """(relative path, docstring) of every module under `folder` that has one."""
    out = []
    for path in sorted(folder.rglob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        if doc:
            out.append((path.relative_to(REPO).as_posix(), doc))
    return out


def page() -> str:
    lines = [
        "# Module notes (generated)",
        "",
        "The docstring of every module of the generator and the detector, verbatim: the full",
        "statement of each formula, its source and its approximations, next to the code that",
        "uses it. Generated from the source at every build of this guide.",
        "",
    ]
    for folder, package, title in STAGES:
        lines += [f"## {title} (`{folder}/`, imported as `{package}`)", ""]
        for rel, doc in module_docstrings(REPO / folder):
            lines += [f"### `{rel}`", "", "```text", doc.replace("```", "'''"), "```", ""]
    return "\n".join(lines)


def write_page(argv: list[str], make_page: Callable[[], str]) -> int:
    """`python docs/<generator>.py OUTFILE`: write one generated page (exit 2 on bad usage)."""
    if len(argv) != 2:
        print(f"usage: python {argv[0]} OUTFILE", file=sys.stderr)
        return 2
    Path(argv[1]).write_text(make_page(), encoding="utf-8")
    return 0


def main(argv: list[str]) -> int:
    return write_page(argv, page)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
