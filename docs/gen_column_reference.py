"""Generate the page "Output columns": every column of the output and every field of its list
columns, with type, unit and description, taken from the documented Arrow schema of
`detector/writers/table.py` (`EVENT`, `ROLE`, `PARTICLE`, `OBJECTS`, `LIST_DOCS`,
`column_doc`), the same records the writers put into each file's metadata. Regenerated at every
build by the mkdocs hook (`docs/hooks.py`), so the page cannot drift from the writers. Run
`python docs/gen_column_reference.py OUTFILE` to write it by hand.
"""

from __future__ import annotations

import sys

from gen_module_notes import write_page

from alpsim.detector.writers import table

#: Names standing for a family of columns; `column_doc` documents each with an example name.
PATTERNS = (
    ("trg_<line>", "trg_LINE", "trigger line `<line>` of the detector card fired"),
    ("trgpattern_<name>", "trgpattern_NAME", "trigger pattern `<name>` of the detector card"),
    ("weight_nominal", "weight_nominal", "probability of the forced decay range, written with "
     "`alp.decay_range`"),
    ("weight_ctau_<x>mm", "weight_ctau_10mm", "lifetime weight to cτ = x mm, one per entry of "
     "`run.ctau_weights`"),
)  # fmt: skip


def _type(dtype) -> str:
    """Arrow type as a reader sees it (float32 rather than Arrow's 'float')."""
    if str(dtype).startswith("dictionary"):
        return "string (dictionary-encoded)"
    return {"float": "float32", "double": "float64"}.get(str(dtype), str(dtype))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rows(docs: dict[str, table.Doc]) -> list[str]:
    rows = ["| name | type | unit | meaning |", "|---|---|---|---|"]
    for name, doc in docs.items():
        rows.append(f"| `{name}` | {_type(doc.dtype)} | {doc.unit} | {_cell(doc.description)} |")
    return [*rows, ""]


def page() -> str:
    out = [
        "# Output columns (generated)",
        "",
        "Generated at every build from the documented Arrow schema of",
        "`detector/writers/table.py`: the unit and description of each column are the ones every",
        "Parquet file carries in its field metadata (keys `unit`, `description`) and in its",
        "key-value metadata `alpsim_columns`. Which columns a run writes depends on the channel",
        "and the detector card (`alpsim info FILE` lists them); conventions (frames, status",
        "codes, the truth modes) are in [The event record](../event-record.md).",
        "",
        "## Per-event columns",
        "",
        *_rows(table.EVENT),
        "Families of columns:",
        "",
        "| name | type | meaning |",
        "|---|---|---|",
    ]
    for shown, example, meaning in PATTERNS:
        doc = table.column_doc(example)
        if doc is None:  # the writers no longer write this family: the page must say so
            raise ValueError(f"detector/writers/table.py documents no column {example!r}")
        out.append(f"| `{shown}` | {_type(doc.dtype)} | {meaning} |")
    out += [
        "",
        "## Per-particle-role columns `<role>_<suffix>`",
        "",
        "One set per final-state particle of the channel that has a role (`kaon`, "
        "`alp_daughter_1`, `lepton`, …); `{role}` below stands for the role.",
        "",
        *_rows(table.ROLE),
        "## List columns (one list of structs per event)",
        "",
    ]
    lists = {"particles": table.PARTICLE, **table.OBJECTS}
    for name, fields in lists.items():
        out += [f"### `{name}`", "", table.LIST_DOCS.get(name, "") + ".", ""]
        out += _rows(fields)
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    return write_page(argv, page)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
