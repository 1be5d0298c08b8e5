"""HepMC3 output speed: alpsim's block emitter vs pyhepmc event by event.

Typical event: e- e+ (beams) -> Y(4S) -> B+ B-, B+ -> K+ a, a -> gamma gamma (9 particles,
4 vertices, 3 weights). Usage: python benchmarks/bench_hepmc3.py [n_events] [n_pyhepmc]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numba as nb
import numpy as np
import pyhepmc

from alpsim.detector.writers.hepmc3 import C_MM_PER_NS, write_hepmc3
from alpsim.pdg import mass as pdg_mass
from alpsim.record import Block, EventRecord

PDG = np.array([11, -11, 300553, 521, -521, 321, 9000005, 22, 22], dtype=np.int32)
STATUS = np.array([4, 4, 2, 2, 1, 1, 2, 1, 1], dtype=np.int8)
MOTHER = np.array([-1, -1, -1, 2, 2, 3, 3, 6, 6], dtype=np.int32)
INFO = {"m_a": 0.5, "ctau": 10.0, "cross_section_fb": 1.0e3, "n_parents": 1}


def make_record(n: int, first_event: int, rng: np.random.Generator) -> EventRecord:
    # PDG masses from `particle` (alpsim/pdg.py); the ALP has the benchmark's m_a
    mass = np.array([pdg_mass(int(p)) if p != 9000005 else INFO["m_a"] for p in PDG])
    p3 = rng.normal(scale=1.5, size=(n, PDG.size, 3))
    p4 = np.empty((n, PDG.size, 4))
    p4[..., :3] = p3
    p4[..., 3] = np.sqrt((p3**2).sum(-1) + mass**2)
    vertex = np.empty_like(p4)
    vertex[:, :3] = rng.normal(scale=[0.01, 0.0002, 0.3, 0.001], size=(n, 4))[:, None]
    for i, m in enumerate(MOTHER):
        if m >= 0:
            vertex[:, i] = vertex[:, m] + rng.exponential(0.1, size=(n, 4))
            if i > 0 and MOTHER[i - 1] == m:
                vertex[:, i] = vertex[:, i - 1]
    weights = {"ctau_1mm": rng.uniform(size=n), "ctau_100mm": rng.uniform(size=n)}
    block = Block("a->gamma gamma", PDG, STATUS, MOTHER, p4, vertex, weights=weights)
    return EventRecord("B_to_K_a", [block], first_event=first_event)


def pyhepmc_write(path: Path, records: list[EventRecord]) -> int:
    """The straightforward alternative: a GenEvent per event, HepMC3's WriterAscii."""
    run_info = pyhepmc.GenRunInfo()
    run_info.tools = [pyhepmc.GenRunInfo.ToolInfo("alpsim", "bench", "")]
    run_info.weight_names = ["nominal", "ctau_1mm", "ctau_100mm"]
    n = 0
    with pyhepmc.open(str(path), "w") as f:
        for rec in records:
            (b,) = rec.blocks
            p4 = b.p4.tolist()
            vx = (b.vertex * [1, 1, 1, C_MM_PER_NS]).tolist()
            w1, w2 = b.weights["ctau_1mm"].tolist(), b.weights["ctau_100mm"].tolist()
            for j, num in enumerate(rec.event_number.tolist()):
                ev = pyhepmc.GenEvent(pyhepmc.Units.GEV, pyhepmc.Units.MM)
                ev.run_info = run_info
                ev.event_number = num
                parts = [
                    pyhepmc.GenParticle(p4[j][i], int(PDG[i]), int(STATUS[i]))
                    for i in range(PDG.size)
                ]
                primary = pyhepmc.GenVertex(vx[j][2])
                primary.add_particle_in(parts[0])
                primary.add_particle_in(parts[1])
                primary.add_particle_out(parts[2])
                ev.add_vertex(primary)
                for m in (2, 3, 6):
                    d = [i for i in range(PDG.size) if MOTHER[i] == m]
                    v = pyhepmc.GenVertex(vx[j][d[0]])
                    v.add_particle_in(parts[m])
                    for i in d:
                        v.add_particle_out(parts[i])
                    ev.add_vertex(v)
                ev.weights = [1.0, w1[j], w2[j]]
                ev.attributes["channel"] = rec.channel
                ev.attributes["decay_mode"] = b.mode
                f.write(ev)
                n += 1
    return n


def main() -> None:
    n_events = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    n_py = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    chunk = 20_000
    rng = np.random.default_rng(1)
    records = [make_record(min(chunk, n_events - s), s, rng) for s in range(0, n_events, chunk)]
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        # numba: compile (first run only, then cached) the serial and parallel kernels
        write_hepmc3(d / "warmup.hepmc3", [make_record(2000, 0, rng)], INFO)
        for name, threads, level in (
            ("alpsim.hepmc3", None, 0),
            ("alpsim.hepmc3", 1, 0),
            ("alpsim.hepmc3.gz", None, 1),
            ("alpsim.hepmc3.gz", None, 6),
        ):
            path = d / name
            t0 = time.perf_counter()
            n = write_hepmc3(path, records, INFO, compresslevel=level, threads=threads)
            dt = time.perf_counter() - t0
            size = path.stat().st_size
            label = f"threads={threads or nb.get_num_threads()}" + (f" gz{level}" if level else "")
            print(
                f"alpsim {label:15s} {name:18s} {n:8d} events {dt:7.2f} s "
                f"{n / dt:10,.0f} events/s  {size / n:6.0f} B/event"
            )
        py_records = [make_record(min(chunk, n_py - s), s, rng) for s in range(0, n_py, chunk)]
        path = d / "pyhepmc.hepmc3"
        t0 = time.perf_counter()
        n = pyhepmc_write(path, py_records)
        dt = time.perf_counter() - t0
        print(
            f"pyhepmc per event      {path.name:18s} {n:8d} events {dt:7.2f} s "
            f"{n / dt:10,.0f} events/s  {path.stat().st_size / n:6.0f} B/event"
        )


if __name__ == "__main__":
    main()
