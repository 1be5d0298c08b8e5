"""ROOT TTree output through uproot: flat branches per event, jagged branches per particle.

Tree `events`: every per-event column of the Parquet output as a flat branch (the decay
mode as its index `mode`, names in the file's `alpsim_modes` object), and the truth particles
as jagged branches `particles_<field>` with the counter `nparticles` (likewise `tracks_<field>`,
`clusters_<field>`, `vertices_<field>`) — what ROOT users expect from
TTree::Draw("particles_E"). Written under a temporary name and renamed when complete. Needs
uproot and awkward (`pip install 'alpsim[root]'`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ...commit import commit, temp_path
from ...record import EventRecord
from ..chain import RecoRecord
from .table import DEFAULT_DETAIL, DEFAULT_TRUTH, chunk_table


class RootWriter:
    """Streams chunks into one ROOT file with one TTree."""

    def __init__(self, path: str | Path, metadata: dict[str, Any]) -> None:
        try:
            import awkward  # noqa: F401
            import uproot
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise ImportError(
                "ROOT output needs uproot and awkward: pip install 'alpsim[root]'"
            ) from exc
        self.path = Path(path)
        self.tmp = temp_path(self.path)  # unique per process and writer (alpsim/commit.py)
        self._file = uproot.recreate(self.tmp)
        self._file["alpsim_metadata"] = json.dumps(metadata)
        self._tree = None
        self._modes: list[str] = []
        self.truth = metadata.get("output", {}).get("truth", DEFAULT_TRUTH)
        self.detail = metadata.get("output", {}).get("detail", DEFAULT_DETAIL)
        self.n_events = 0

    def _branches(self, table: pa.Table, modes: list[str]) -> dict[str, Any]:
        import awkward as ak

        out: dict[str, Any] = {}
        for name in table.column_names:
            col = table[name]
            if pa.types.is_list(col.type):
                lists = col.combine_chunks()
                counts = np.diff(lists.offsets.to_numpy())
                flat = lists.flatten()
                out[name] = ak.zip(
                    {
                        f.name: ak.unflatten(
                            flat.field(f.name).to_numpy(zero_copy_only=False), counts
                        )
                        for f in flat.type
                    }
                )
            elif name == "mode":
                names = col.combine_chunks().dictionary.to_pylist()
                index = col.combine_chunks().indices.to_numpy()
                for m in names:
                    if m not in self._modes:
                        self._modes.append(m)
                remap = np.array([self._modes.index(m) for m in names], dtype=np.int16)
                out["mode"] = remap[index]
            else:
                out[name] = col.to_numpy()
        return out

    def write(self, record: EventRecord, reco: RecoRecord | None = None) -> None:
        table = chunk_table(record, reco, self.truth, self.detail)
        branches = self._branches(table, record.mode_names)
        if self._tree is None:
            types = {
                k: (v.dtype if isinstance(v, np.ndarray) else v.type) for k, v in branches.items()
            }
            self._tree = self._file.mktree(
                "events",
                types,
                counter_name=lambda counted: f"n{counted}",
                field_name=lambda outer, inner: f"{outer}_{inner}",
            )
        self._tree.extend(branches)
        self.n_events += table.num_rows

    def finish(self) -> Path:
        """Complete the temporary file without renaming it; returns it."""
        try:
            self._file["alpsim_modes"] = json.dumps(self._modes)
            self._file.close()
        except BaseException:
            self.abort()
            raise
        return self.tmp

    def close(self, force: bool = True) -> None:
        """Complete the file and rename it to its final name."""
        commit([(self.finish(), self.path)], force=force)

    def abort(self) -> None:
        try:
            self._file.close()
        finally:
            self.tmp.unlink(missing_ok=True)
