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

    from .dataset import dataset_status
    from .detector.writers.parquet import read_metadata

    status = dataset_status(path) if path.is_dir() else {"files": [path], "complete": True}
    files = status["files"]
    if not files:
        raise ValueError(f"{path}: no Parquet files")
    meta = read_metadata(files[0])
    rows = pads.dataset([str(f) for f in files], format="parquet").count_rows()
    lines = [f"file           : {path} ({len(files)} Parquet file{'s' * (len(files) > 1)})"]
    lines += _describe_alpsim(meta)
    if path.is_dir():
        if status.get("complete"):
            lines.append(f"dataset        : {status.get('n_chunks', len(files))} chunks, complete")
        else:
            lines.append(
                f"dataset        : PARTIAL: {len(files)} of {status.get('n_chunks', '?')} chunks, "
                f"{rows} of {meta.get('n_generated')} events (an interrupted run; "
                "`alpsim run ... --resume` finishes it; normalise by the rows, not by "
                "'generated')"
            )
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
    magic = b""
    if path.is_file():
        with path.open("rb") as f:
            magic = f.read(64)
    if path.is_dir() or name.endswith(".parquet") or magic[:4] == b"PAR1":
        lines = describe_parquet(path)
    elif name.endswith(".root") or magic[:4] == b"root":
        lines = describe_root(path)
    elif (
        magic[:2] == b"\x1f\x8b"
        or magic.lstrip()[:6] in (b"HepMC:", b"<LesHo")
        or name.endswith((".hepmc", ".hepmc2", ".hepmc3", ".hepevt", ".lhe"))
    ):
        lines = describe_hepmc(path)
    elif name.endswith(".toml"):
        raise ValueError(
            f"{path} is a run card, not a sample: `alpsim run {path}` makes one, and "
            "`alpsim info` describes what it wrote"
        )
    else:
        raise ValueError(
            f"{path} is not a sample alpsim reads (Parquet file or dataset directory, ROOT, "
            "HepMC3/HepMC2/LHEF)"
        )
    return "\n".join(lines)
