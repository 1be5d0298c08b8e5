"""The run loop: card → chunks → generator → detector → writer, with per-chunk seeds.

Chunk seeds come from the card's seed and the chunk index (numpy SeedSequence spawn keys),
never from the worker, so a chunk's events do not depend on how the run is split. The
generator and the detector draw from separate streams of the same chunk seed.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from ._version import __version__
from .allocator import keep_heap
from .card import RunCard, load_card
from .detector.chain import RecoRecord, simulate
from .detector.writers.hepmc3 import HepMC3Writer
from .detector.writers.parquet import ParquetWriter
from .detector.writers.root import RootWriter
from .generator.beams import draw_beams
from .generator.lifetime import LifetimeSampling, lifetime_weight, resample_alp_decays
from .record import EventRecord

GENERATOR_STREAM, DETECTOR_STREAM = 0, 1


class OutputError(ValueError):
    """An output path that cannot be used; raised before any event is generated."""


@dataclass
class RunResult:
    """What a run produced: counts, the output path, and the events when kept in memory."""

    card: RunCard
    n_events: int
    n_selected: int
    weighted_selected: float  # Σ nominal weights of selected events (forced decays: P0 each)
    output: Path | None
    events: pa.Table | None
    seconds: float

    @property
    def efficiency(self) -> float:
        """Weighted fraction of generated events passing the card's selection."""
        return self.weighted_selected / self.n_events if self.n_events else float("nan")

    def summary(self) -> str:
        eff = self.efficiency
        err = np.sqrt(eff * (1 - eff) / self.n_events) if self.n_events else float("nan")
        rate = self.n_events / self.seconds if self.seconds > 0 else float("inf")
        lines = [
            f"alpsim {__version__}: {self.card.channel.name} at {self.card.detector.name}, "
            f"m_a = {self.card.alp.mass:g} GeV, ctau = {self.card.alp.ctau:g} mm",
            f"  events generated : {self.n_events}",
            f"  selected         : {self.n_selected} (efficiency {eff:.4g} +- {err:.2g})",
            f"  time             : {self.seconds:.2f} s ({rate:,.0f} events/s)",
            f"  output           : {self.output if self.output else '(not written)'}",
        ]
        lines += yield_lines(self.card.channel.normalisation(), eff)
        return "\n".join(lines)


def event_columns(record: EventRecord, reco: RecoRecord) -> dict[str, np.ndarray]:
    """Per-event columns a selection may use: truth columns of the record, then reco ones."""
    cols = record.event_columns()
    cols.update(reco.columns())
    return cols


def selected(card: RunCard, record: EventRecord, reco: RecoRecord) -> np.ndarray:
    """Mask of events passing the card's selection."""
    return card.selection.mask(event_columns(record, reco))


def yield_lines(norm: dict, efficiency: float) -> list[str]:
    """The normalisation in two summary lines: the yield formula, and the expected number of
    selected signal events where the normalisation is numeric (per fb⁻¹ for cross sections)."""

    def num(key: str, default: float | None = None) -> float | None:
        v = norm.get(key, default)
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    alp_bf = num("alp_branching_fraction", 1.0)
    out = [f"  yield formula    : {norm['formula']}"] if "formula" in norm else []
    if norm.get("kind") == "cross_section" and num("cross_section_fb") is not None:
        per_fb = num("cross_section_fb") * alp_bf * efficiency
        out.append(
            f"  expected signal  : {per_fb:.4g} events per fb^-1 "
            f"(sigma = {num('cross_section_fb'):.4g} fb)"
        )
    elif num("n_parents") is not None and num("branching_fraction") is not None:
        n = (
            num("n_parents")
            * num("branching_fraction")
            * num("secondary_branching_fraction", 1.0)
            * alp_bf
            * efficiency
        )
        out.append(
            f"  expected signal  : {n:.4g} events for {num('n_parents'):.4g} parents "
            f"and BF = {num('branching_fraction'):.3g}"
        )
    return out


def check_selection(card: RunCard) -> None:
    """Fail before the run if the selection names columns the run does not produce."""
    record, reco = simulate_chunk(card, card.run.seed, 0, 0, 20)
    card.selection.check_columns(set(event_columns(record, reco)), card.path)


def check_output(path: Path, force: bool) -> None:
    """Fail before any work if the output exists (without force) or cannot be written."""
    if path.exists() and not force:
        raise OutputError(f"output {str(path)!r} exists; use --force (force=True) to replace it")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"output directory {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"output directory {str(parent)!r} is not writable")


def chunk_rng(seed: int, chunk_index: int, stream: int) -> np.random.Generator:
    """The random stream of one chunk: a function of the card seed and chunk index only."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(chunk_index, stream)))


def chunks(n_events: int, chunk_size: int) -> Iterator[tuple[int, int, int]]:
    """(chunk index, first event number, number of events) covering n_events."""
    for index, first in enumerate(range(0, n_events, chunk_size)):
        yield index, first, min(chunk_size, n_events - first)


def simulate_chunk(
    card: RunCard, seed: int, index: int, first: int, size: int
) -> tuple[EventRecord, RecoRecord]:
    """Generate and simulate one chunk."""
    keep_heap()  # reuse the last chunk's buffers instead of page-faulting new ones
    channel = card.channel
    rng = chunk_rng(seed, index, GENERATOR_STREAM)
    beams = draw_beams(rng, size, card.detector.beams, channel.min_sqrt_s)
    record = EventRecord(channel.name, channel.generate(rng, beams), first_event=first)
    apply_lifetimes(rng, record, card.alp.sampling, card.run.ctau_weights)
    reco = simulate(chunk_rng(seed, index, DETECTOR_STREAM), record, card.detector)
    return record, reco


def ctau_weight_name(ctau: float) -> str:
    """Name of the lifetime weight for cτ (mm), e.g. 'ctau_10mm'."""
    return f"ctau_{ctau:g}mm"


def apply_lifetimes(
    rng: np.random.Generator,
    record: EventRecord,
    sampling: LifetimeSampling,
    ctau_weights: tuple[float, ...],
) -> None:
    """ALP decay lengths as the card asks (resampled if forced/log-uniform), then the named
    lifetime weights w(cτ) for each cτ of `run.ctau_weights` (generator/lifetime.py)."""
    for block in record.blocks:
        resample_alp_decays(rng, block, sampling)
        ell = block.extra.get("alp_proper_length")
        if ell is None:
            continue
        density = block.extra["alp_sampling_density"]
        for ct in ctau_weights:
            block.weights[ctau_weight_name(ct)] = lifetime_weight(ell, density, ct)


def hepmc3_info(card: RunCard, meta: dict) -> dict[str, object]:
    """Run information for the HepMC3 writer: normalisation, ALP parameters, weight names."""
    norm = dict(meta["normalisation"])
    info: dict[str, object] = {
        "m_a": card.alp.mass,
        "ctau": card.alp.ctau,
        "description": f"alpsim {card.channel.name} at {card.detector.name}",
        "weight_names": [ctau_weight_name(c) for c in card.run.ctau_weights],
        "seed": meta["seed"],
        "n_generated": meta["n_generated"],
    }
    for key in ("cross_section_fb", "cross_section_error_fb"):
        if norm.get(key) is not None:
            info[key] = float(norm[key])
    for key in ("branching_fraction", "n_parents", "alp_branching_fraction"):
        if isinstance(norm.get(key), (int, float)):
            info[f"production_{key}" if key == "branching_fraction" else key] = norm[key]
    return info


def open_extra_writers(
    card: RunCard, meta: dict, hepmc3: str | Path | None, root: str | Path | None
) -> list:
    """HepMC3 (truth) and ROOT writers asked for besides Parquet."""
    writers: list = []
    try:
        if hepmc3 is not None:
            writers.append(HepMC3Writer(hepmc3, hepmc3_info(card, meta)))
        if root is not None:
            writers.append(RootWriter(root, meta))
    except BaseException:
        for w in writers:
            w.abort()
        raise
    return writers


def metadata(card: RunCard, n_events: int, seed: int) -> dict[str, object]:
    """Run metadata stored with every output: card texts, seed, version, normalisation."""
    return {
        "alpsim_version": __version__,
        "card_path": card.path,
        "card": card.text,
        "detector_card": card.detector.text,
        "seed": seed,
        "n_generated": n_events,
        "chunk_size": card.run.chunk_size,
        "channel": card.channel.name,
        "alp": {
            "mass": card.alp.mass,
            "ctau_mm": card.alp.ctau,
            "decays": card.alp.decays,
            "branching_fractions": card.alp.branching_fractions,
            "couplings": dataclasses.asdict(card.alp.couplings) if card.alp.couplings else None,
            "lifetime_sampling": dataclasses.asdict(card.alp.sampling),
        },
        "ctau_weights_mm": list(card.run.ctau_weights),
        "normalisation": card.channel.normalisation(),
        "output": dataclasses.asdict(card.output),
    }


def run(
    card: RunCard | str | Path,
    n: int | None = None,
    seed: int | None = None,
    output: str | Path | None = None,
    keep: bool | None = None,
    progress: bool = False,
    force: bool = False,
    hepmc3: str | Path | None = None,
    root: str | Path | None = None,
) -> RunResult:
    """Run a card: generate, simulate and (if an output is given) write Parquet.

    `n` and `seed` override the card's. A file is written only when `output` is given (the
    CLI passes the card's `run.output` by default). Events are kept in
    memory and returned as `RunResult.events` when `keep` is true (default: when nothing is
    written), so notebooks get a table and large productions stay bounded in memory.
    An existing output is only replaced with `force`. `hepmc3` and `root` add a truth HepMC3
    file (.gz compressed) and a ROOT TTree file, written from the same chunks.
    """
    if not isinstance(card, RunCard):
        card = load_card(card)
    n_events = card.run.events if n is None else int(n)
    if n_events < 1:
        raise ValueError(f"number of events must be >= 1, got {n_events}")
    seed = card.run.seed if seed is None else int(seed)
    out_path = Path(output) if output is not None else None
    keep = out_path is None if keep is None else keep
    extra_paths = [Path(p) for p in (hepmc3, root) if p is not None]
    for path in ([out_path] if out_path else []) + extra_paths:
        check_output(path, force)
    start = time.perf_counter()
    check_selection(card)
    tables, n_reco, w_sum = [], 0, 0.0
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n_events, unit="ev", unit_scale=True, desc="alpsim")
    meta = metadata(card, n_events, seed)
    writer = ParquetWriter(out_path, meta) if out_path else None
    others = open_extra_writers(card, meta, hepmc3, root)
    try:
        for index, first, size in chunks(n_events, card.run.chunk_size):
            record, reco = simulate_chunk(card, seed, index, first, size)
            passed = selected(card, record, reco)
            n_reco += int(passed.sum())
            w_sum += float(np.sum(record.weights().get("nominal", np.ones(passed.size))[passed]))
            table = writer.write(record, reco) if writer else None
            for other in others:
                other.write(record, reco) if isinstance(other, RootWriter) else other.write(record)
            if keep:
                from .detector.writers.parquet import chunk_table

                kept = chunk_table(record, reco, card.output.truth) if table is None else table
                tables.append(kept)
            # the next chunk is simulated while this one is written: only its table stays
            del record, reco, passed, table
            if bar is not None:
                bar.update(size)
        if writer:
            writer.close()
        for other in others:
            other.close()
    except BaseException:
        for w in ([writer] if writer else []) + others:
            w.abort()
        raise
    finally:
        if bar is not None:
            bar.close()
    events = pa.concat_tables(tables) if keep and tables else None
    return RunResult(card, n_events, n_reco, w_sum, out_path, events, time.perf_counter() - start)
