"""No file of the repository cites the project's planning notes, which readers do not have.

A formula or a number must name its source where it is used (paper: authors, journal or
arXiv, equation or table; or the basf2 file path), not a document outside the repository.
Files of the repository = the files git tracks or would track (not ignored), or every file
outside .git when the tree is not a git checkout.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from .conftest import REPO

# The planning notes by file name or by section ("… §3"); spelled in pieces so that this file
# does not match itself.
_NOTES = "DESIGN|" + "REFERENCES"
PLANNING_NOTE = re.compile(rf"\b(?:{_NOTES})(?:\.md\b|\s*§)")


def repository_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
        ).stdout
        return [REPO / name for name in out.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        return [p for p in REPO.rglob("*") if p.is_file() and ".git" not in p.parts]


def offending_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of each line citing the planning notes."""
    return [
        (number, line.strip())
        for number, line in enumerate(text.splitlines(), 1)
        if PLANNING_NOTE.search(line)
    ]


def test_repository_files_are_found():
    names = {p.relative_to(REPO).as_posix() for p in repository_files()}
    assert {"pyproject.toml", "alpsim/card.py", "tests/test_no_external_refs.py"} <= names


def test_the_pattern_finds_citations_of_the_notes():
    design, refs = "DESIGN" + ".md", "REFERENCES"
    bad = [
        f"see shared/{refs}.md for the formula",
        f"# {refs}.md §2 [calc]",
        f'source="{refs} §3 formula"',
        f"layout as in {design}",
    ]
    for line in bad:
        assert offending_lines(line) == [(1, line)], line
    good = ["REFERENCES = {}", "Bauer, Neubert, Thamm, JHEP 12 (2017) 044", "DESIGNATED field"]
    assert offending_lines("\n".join(good)) == []


def test_no_file_cites_documents_outside_the_repository():
    me = Path(__file__).resolve()
    offenders = []
    for path in repository_files():
        if path.resolve() == me:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        offenders += [
            f"{path.relative_to(REPO)}:{n}: {line[:100]}" for n, line in offending_lines(text)
        ]
    assert not offenders, f"{len(offenders)} lines cite documents outside the repository:\n" + (
        "\n".join(offenders)
    )
