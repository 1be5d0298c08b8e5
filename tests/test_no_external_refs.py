"""No file of the repository cites the project's planning notes, which readers do not have.

A formula or a number must name its source where it is used (paper: authors, journal or
arXiv, equation or table; or the basf2 file path), not a document outside the repository.
Files of the repository = the files git tracks or would track (not ignored), or every file
outside .git when the tree is not a git checkout.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import REPO

# spelled in two pieces so that this file does not match itself
NAMES = ("DESIGN" + ".md", "REFERENCES" + ".md")


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


def test_repository_files_are_found():
    names = {p.relative_to(REPO).as_posix() for p in repository_files()}
    assert {"pyproject.toml", "alpsim/card.py", "tests/test_no_external_refs.py"} <= names


@pytest.mark.xfail(
    strict=False,
    reason="issue 21: docstrings, cards and tests still cite the planning notes; "
    "to be un-xfailed after the citation sweep",
)
def test_no_file_cites_documents_outside_the_repository():
    offenders = []
    for path in repository_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if any(name in line for name in NAMES):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()[:100]}")
    assert not offenders, f"{len(offenders)} lines cite documents outside the repository:\n" + (
        "\n".join(offenders)
    )


def test_guide_and_examples_cite_no_outside_documents():
    """The user guide and the examples are clean already (not part of the xfail above)."""
    owned = [
        p
        for p in repository_files()
        if p.relative_to(REPO).parts[0] in ("docs", "examples") or p.name == "mkdocs.yml"
    ]
    assert len(owned) > 10
    for path in owned:
        text = path.read_text(encoding="utf-8")
        assert not any(name in text for name in NAMES), path
