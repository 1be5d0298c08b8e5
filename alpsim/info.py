"""`alpsim info FILE`: what a sample holds (channel, ALP, events, normalisation, columns).

Reads alpsim Parquet files and dataset directories, ROOT files written by alpsim, and any
HepMC3/HepMC2/LHEF file through pyhepmc (the same reader for files of other generators).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _describe_alpsim(meta: dict[str, Any]) -> list[str]:
    alp = meta.get("alp", {})
    norm = meta.get("normalisation", {})
    lines = [
        f"alpsim version : {meta.get('alpsim_version')}",
        f"channel        : {meta.get('channel')}",
        f"ALP            : m_a = {alp.get('mass')} GeV, ctau = {alp.get('ctau_mm')} mm",
        f"decays         : {alp.get('decays')}",
        f"seed           : {meta.get('seed')}",
        f"generated      : {meta.get('n_generated')} events",
    ]
    if meta.get("ctau_weights_mm"):
        lines.append(f"ctau weights   : {meta['ctau_weights_mm']} mm")
    lines.append("normalisation  : " + json.dumps(norm, default=str))
    return lines


def describe_parquet(path: Path) -> list[str]:
    import pyarrow.dataset as pads
    import pyarrow.parquet as pq

    from .detector.writers.parquet import read_metadata

    files = sorted(path.glob("part-*.parquet")) if path.is_dir() else [path]
    if not files:
        raise ValueError(f"{path}: no Parquet files")
    meta = read_metadata(files[0])
    rows = pads.dataset([str(f) for f in files], format="parquet").count_rows()
    lines = [f"file           : {path} ({len(files)} Parquet file{'s' * (len(files) > 1)})"]
    lines += _describe_alpsim(meta)
    manifest = path / "_manifest.json" if path.is_dir() else None
    if manifest is not None and manifest.exists():
        body = json.loads(manifest.read_text())
        state = "complete" if body["complete"] else f"missing chunks {body['missing']}"
        lines.append(f"dataset        : {body['n_chunks']} chunks, {state}")
    lines.append(f"rows           : {rows}")
    schema = pq.read_schema(files[0])
    lines.append(
        "columns        : "
        + ", ".join(
            f"{f.name} ({f.type})" if f.name != "particles" else "particles (list<struct>)"
            for f in schema
        )
    )
    return lines


def describe_hepmc(path: Path) -> list[str]:
    from .detector.writers.hepmc3 import read_hepmc3_summary

    s = read_hepmc3_summary(path)
    lines = [f"file           : {path} ({s.get('format')})", f"events         : {s['n_events']}"]
    run = s.get("run_info") or {}
    if run.get("tools"):
        lines.append(f"tools          : {run['tools']}")
    if s.get("weight_names"):
        lines.append(f"weights        : {s['weight_names']}")
    if s.get("cross_section"):
        lines.append(f"cross section  : {s['cross_section']}")
    first = s.get("first_event") or {}
    if first.get("attributes"):
        lines.append(f"attributes     : {first['attributes']}")
    if run.get("attributes"):
        lines.append(f"run attributes : {run['attributes']}")
    return lines


def describe_root(path: Path) -> list[str]:
    import uproot

    with uproot.open(path) as f:
        lines = [f"file           : {path} (ROOT)"]
        if "alpsim_metadata" in f:
            lines += _describe_alpsim(json.loads(str(f["alpsim_metadata"])))
        tree = f["events"]
        lines.append(f"rows           : {tree.num_entries}")
        lines.append("branches       : " + ", ".join(tree.keys()))
    return lines


def describe(path: str | Path) -> str:
    """Text description of a sample file or dataset directory."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    name = path.name.lower()
    with path.open("rb") if path.is_file() else open(__file__, "rb") as f:
        magic = f.read(4)
    if path.is_dir() or name.endswith(".parquet") or magic == b"PAR1":
        lines = describe_parquet(path)
    elif name.endswith(".root"):
        lines = describe_root(path)
    else:
        lines = describe_hepmc(path)
    return "\n".join(lines)
