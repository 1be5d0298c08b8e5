"""mkdocs hooks: the generated reference pages and the example scripts shown in the guide.

- `on_files` adds the pages made by `gen_card_reference.pages()` (card fields, one page per
  detector card), generated from the card validators and the shipped cards at every build,
  the output columns of `gen_column_reference.page()` (the writers' documented Arrow schema)
  and the module notes of `gen_module_notes.page()` (every generator and detector module
  docstring).
- `on_page_markdown` replaces a line `--8<-- "examples/NAME.py"` by that file in a code
  block, so the guide shows the example scripts that tests/test_examples.py runs. A missing
  file fails the build.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from mkdocs.structure.files import File, Files

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
sys.path.insert(0, str(DOCS))

import gen_card_reference  # noqa: E402
import gen_column_reference  # noqa: E402
import gen_module_notes  # noqa: E402

_INCLUDE = re.compile(r'^--8<-- "([^"]+)"\s*$', re.MULTILINE)


def on_files(files: Files, config) -> Files:
    for rel, text in gen_card_reference.pages().items():
        files.append(File.generated(config, rel, content=text))
    files.append(File.generated(config, "reference/modules.md", content=gen_module_notes.page()))
    columns = gen_column_reference.page()
    files.append(File.generated(config, "reference/columns.md", content=columns))
    return files


def _include(match: re.Match) -> str:
    path = REPO / match.group(1)
    if not path.is_file():
        raise FileNotFoundError(f"docs include: no file {match.group(1)!r} in the repository")
    lang = "python" if path.suffix == ".py" else "toml" if path.suffix == ".toml" else ""
    return f"```{lang}\n{path.read_text(encoding='utf-8').rstrip()}\n```"


def on_page_markdown(markdown: str, page, config, files) -> str:
    return _INCLUDE.sub(_include, markdown)
