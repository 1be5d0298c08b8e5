"""alpsim against its peers, in one process and one run: Pythia 8 as the decayer of the same
chain, and pyhepmc's own HepMC3 writer for the same events.

Run: python benchmarks/bench_peers.py [N_ALPSIM] [N_PEER]
     (default 3e5 alpsim events, 2e4 peer events; Pythia 8 from the optional `pythia8mc`
     package, `pip install pythia8mc`; without it that row is skipped)

Chain (the default card, cards/belle2_b2ka_gg.toml): Υ(4S) → B+ B−, B+ → K+ a, a → γγ with
m_a = 1 GeV and cτ = 1 mm, the other B stable, at the Belle II beams.
- alpsim generation: `channel.generate` + the lifetimes (what `alpsim run` generates before the
  detector), whole chunks of 10⁵ events.
- Pythia 8 (hadron level only, `ProcessLevel:all = off`): the ALP defined as a new particle
  (9000005, spin 0, m_a, τ0 = cτ) decaying to γγ, `521:oneChannel = 1 1.0 0 321 9000005`; per
  event the Υ(4S) (as decayed), B+ (to be decayed) and B− (negative status: left undecayed) are
  appended at their lab momenta (Υ(4S) → BB̄ drawn beforehand with numpy, in the timing) and
  `forceHadronLevel()` decays the chain. Nothing is written.
- HepMC3 writing of the same truth events (the full record, 9 particles): alpsim's block writer
  (detector/writers/hepmc3.py) against pyhepmc's own path, `GenEvent.from_hepevt` per event and
  `pyhepmc.open(path, "w")`.
Prints events per second (wall clock) and alpsim's ratios (issue 20's targets: ≥ 10× Pythia 8
for generation, ≥ 5× pyhepmc for HepMC3 writing). The machine's load average is printed too:
on a shared machine the absolute rates move, the ratios much less (same process, same run).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from alpsim.card import load_card
from alpsim.detector.writers.hepmc3 import C_MM_PER_NS, write_hepmc3
from alpsim.generator.beams import draw_beams
from alpsim.generator.kinematics import two_body_decay
from alpsim.pdg import mass as pdg_mass
from alpsim.record import EventRecord
from alpsim.runner import GENERATOR_STREAM, apply_lifetimes, chunk_rng, hepmc3_info, metadata

CARD = Path(__file__).resolve().parents[1] / "cards" / "belle2_b2ka_gg.toml"
CHUNK = 100_000


class Clock:
    """Wall-clock and process CPU seconds of a block (CPU: all threads of the process)."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu

    def rates(self, n: int) -> tuple[float, float]:
        return n / self.wall, n / self.cpu


def row(name: str, n: int, clock: Clock, extra: str = "") -> tuple[float, float]:
    wall, cpu = clock.rates(n)
    print(
        f"{name:26s} {n:9,d} events {clock.wall:7.2f} s {wall:11,.0f} events/s "
        f"{cpu:11,.0f} per CPU-s {extra}"
    )
    return wall, cpu


def ratio(what: str, ours: tuple[float, float], peer: tuple[float, float], target: float) -> None:
    print(
        f"  alpsim / {what}: {ours[0] / peer[0]:5.1f}x wall clock, {ours[1] / peer[1]:5.1f}x "
        f"per CPU second  (target >= {target:g}x)"
    )


def alpsim_generate(card, n: int) -> tuple[Clock, list[EventRecord]]:
    """Time to generate n events (chunks of CHUNK) and the records."""
    records = []
    with Clock() as clock:
        for index, first in enumerate(range(0, n, CHUNK)):
            size = min(CHUNK, n - first)
            rng = chunk_rng(card.run.seed, index, GENERATOR_STREAM)
            beams = draw_beams(rng, size, card.detector.beams, card.channel.min_sqrt_s)
            record = EventRecord(card.channel.name, card.channel.generate(rng, beams), first)
            apply_lifetimes(rng, record, card.alp.sampling, card.run.ctau_weights)
            records.append(record)
    return clock, records


def pythia_decayer(card, n: int) -> Clock | None:
    """Time for Pythia 8 to decay n chains Υ(4S) → B+ B−, B+ → K+ a, a → γγ; None if
    pythia8mc is not installed."""
    try:
        import pythia8mc
    except ImportError:
        return None
    m_a, ctau = card.alp.mass, card.alp.ctau
    pythia = pythia8mc.Pythia("", False)
    for line in (
        "ProcessLevel:all = off",
        "Print:quiet = on",
        "Check:event = off",  # the appended record has no system entry to check against
        f"9000005:new = a void 1 0 0 {m_a} 0.0 {m_a} {m_a} {ctau}",
        "9000005:addChannel = 1 1.0 0 22 22",
        "9000005:mayDecay = on",
        "521:oneChannel = 1 1.0 0 321 9000005",
    ):
        pythia.readString(line)
    pythia.init()
    clock = Clock().__enter__()
    rng = np.random.default_rng(1)
    em, ep = card.detector.beams.nominal()
    ups = np.broadcast_to(np.asarray(em) + np.asarray(ep), (n, 4)).copy()
    m_b = pdg_mass(521)
    b_plus, b_minus = two_body_decay(rng, ups, m_b, m_b)
    m_ups = float(np.sqrt(ups[0, 3] ** 2 - np.sum(ups[0, :3] ** 2)))
    event = pythia.event
    ups_l, bp_l, bm_l = ups.tolist(), b_plus.tolist(), b_minus.tolist()
    for i in range(n):
        event.reset()
        u, bp, bm = ups_l[i], bp_l[i], bm_l[i]
        event.append(300553, -2, 0, 0, u[0], u[1], u[2], u[3], m_ups)
        event.append(521, 1, 0, 0, bp[0], bp[1], bp[2], bp[3], m_b)
        event.append(-521, -1, 0, 0, bm[0], bm[1], bm[2], bm[3], m_b)  # not decayed
        if not pythia.forceHadronLevel():
            raise RuntimeError("Pythia 8 failed to decay the chain")
    clock.__exit__()
    return clock


def pyhepmc_write(path: Path, records: list[EventRecord], n: int) -> Clock:
    """Time of pyhepmc's own writer: GenEvent.from_hepevt per event, pyhepmc.open(.., 'w')."""
    import pyhepmc

    clock = Clock().__enter__()
    done = 0
    with pyhepmc.open(str(path), "w") as f:
        for record in records:
            for block in record.blocks:
                k = min(block.n_events, n - done)
                if k <= 0:
                    break
                parents = np.stack([block.mother, block.mother], axis=1).astype(np.int32)
                pid = block.pdg.astype(np.int32)
                status = block.status.astype(np.int32)
                p4, vx = block.p4[:k], block.vertex[:k]
                m2 = p4[..., 3] ** 2 - np.sum(p4[..., :3] ** 2, axis=-1)
                m = np.sign(m2) * np.sqrt(np.abs(m2))
                ev = pyhepmc.GenEvent()
                for j in range(k):
                    q, v = p4[j], vx[j]
                    ev.from_hepevt(
                        done + j,
                        q[:, 0],
                        q[:, 1],
                        q[:, 2],
                        q[:, 3],
                        m[j],
                        pid,
                        status,
                        parents=parents,
                        vx=v[:, 0],
                        vy=v[:, 1],
                        vz=v[:, 2],
                        vt=v[:, 3] * C_MM_PER_NS,
                        fortran=False,
                    )
                    f.write(ev)
                done += k
    clock.__exit__()
    return clock


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 300_000
    n_peer = int(float(sys.argv[2])) if len(sys.argv) > 2 else 20_000
    card = load_card(CARD)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {card.path}")
    alpsim_generate(card, 2000)  # compile / warm caches
    clock, records = alpsim_generate(card, n)
    gen = row("alpsim generation", n, clock)
    py = pythia_decayer(card, n_peer)
    if py is None:
        print("Pythia 8 (pythia8mc)       not installed: pip install pythia8mc")
    else:
        ratio("Pythia 8 generation", gen, row("Pythia 8 as decayer", n_peer, py), 10)
    info = hepmc3_info(card, metadata(card, n, card.run.seed))
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        write_hepmc3(d / "warm.hepmc3", [records[0]], info, compresslevel=0)
        with Clock() as clock:
            n_w = write_hepmc3(d / "a.hepmc3", records, info, compresslevel=0)
        size = f"{(d / 'a.hepmc3').stat().st_size / n_w:.0f} B/event"
        ours = row("alpsim HepMC3 writer", n_w, clock, size)
        clock = pyhepmc_write(d / "p.hepmc3", records, n_peer)
        size = f"{(d / 'p.hepmc3').stat().st_size / n_peer:.0f} B/event"
        ratio(
            "pyhepmc HepMC3 writing", ours, row("pyhepmc from_hepevt+write", n_peer, clock, size), 5
        )


if __name__ == "__main__":
    main()
