"""HepMC3 writer before/after, in one process and one run: an older hepmc3.py against the
installed one, each against pyhepmc's own writer, several rounds (the machine is shared).

Run: git show REV:detector/writers/hepmc3.py > /tmp/hepmc3_before.py
     python benchmarks/bench_hepmc3_ab.py /tmp/hepmc3_before.py [N_ALPSIM] [N_PEER] [ROUNDS]
     (default 3e5 alpsim events, 2e4 pyhepmc events, 3 rounds)

Events, info and pyhepmc's path are those of bench_peers.py (the default card, 9 particles).
Prints, per round, the load average, events per second (wall clock) and per CPU second
(process CPU, all threads, kernel time of the file writes included) and the ratios to pyhepmc.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import bench_peers as bp

from alpsim.card import load_card
from alpsim.detector.writers import hepmc3 as after
from alpsim.runner import hepmc3_info, metadata


def load_before(path: Path) -> ModuleType:
    """The older writer as a module of its own (its relative imports made absolute)."""
    src = path.read_text()
    for name in ("_version", "commit", "record"):
        src = src.replace(f"from ...{name} import", f"from alpsim.{name} import")
    copy = Path(tempfile.mkdtemp()) / "hepmc3_before.py"
    copy.write_text(src)
    spec = importlib.util.spec_from_file_location("hepmc3_before", copy)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    before = load_before(Path(sys.argv[1]))
    n = int(float(sys.argv[2])) if len(sys.argv) > 2 else 300_000
    n_peer = int(float(sys.argv[3])) if len(sys.argv) > 3 else 20_000
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    card = load_card(bp.CARD)
    _, records = bp.alpsim_generate(card, n)
    info = hepmc3_info(card, metadata(card, n, card.run.seed))
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for mod in (before, after):  # compile / load the kernels
            mod.write_hepmc3(d / "warm.hepmc3", [records[0]], info, compresslevel=0)
        for r in range(rounds):
            print(f"round {r + 1}: load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
            rates = {}
            for name, mod in (("before", before), ("after", after)):
                with bp.Clock() as clock:
                    mod.write_hepmc3(d / f"{name}.hepmc3", records, info, compresslevel=0)
                rates[name] = clock.rates(n)
                (d / f"{name}.hepmc3").unlink()
            clock = bp.pyhepmc_write(d / "p.hepmc3", records, n_peer)
            (d / "p.hepmc3").unlink()
            peer = clock.rates(n_peer)
            print(f"  pyhepmc {peer[0]:9,.0f} events/s {peer[1]:9,.0f} per CPU-s")
            for name in ("before", "after"):
                wall, cpu = rates[name]
                print(
                    f"  {name:7s} {wall:9,.0f} events/s {cpu:9,.0f} per CPU-s   "
                    f"/ pyhepmc: {wall / peer[0]:4.1f}x wall {cpu / peer[1]:4.1f}x per CPU-s"
                )


if __name__ == "__main__":
    main()
