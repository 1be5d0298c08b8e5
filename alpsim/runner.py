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
from .card import RunCard, load_card
from .detector.chain import RecoRecord, simulate
from .detector.writers.parquet import ParquetWriter
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
    n_reconstructed: int
    output: Path | None
    events: pa.Table | None
    seconds: float

    @property
    def efficiency(self) -> float:
        """Fraction of generated events whose signal candidate is fully reconstructed."""
        return self.n_reconstructed / self.n_events if self.n_events else float("nan")

    def summary(self) -> str:
        eff = self.efficiency
        err = np.sqrt(eff * (1 - eff) / self.n_events) if self.n_events else float("nan")
        rate = self.n_events / self.seconds if self.seconds > 0 else float("inf")
        lines = [
            f"alpsim {__version__}: {self.card.channel.name} at {self.card.detector.name}, "
            f"m_a = {self.card.alp.mass:g} GeV, ctau = {self.card.alp.ctau:g} mm",
            f"  events generated : {self.n_events}",
            f"  reconstructed    : {self.n_reconstructed} (efficiency {eff:.4f} +- {err:.4f})",
            f"  time             : {self.seconds:.2f} s ({rate:,.0f} events/s)",
            f"  output           : {self.output if self.output else '(not written)'}",
        ]
        return "\n".join(lines)


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
    }


def run(
    card: RunCard | str | Path,
    n: int | None = None,
    seed: int | None = None,
    output: str | Path | None = None,
    keep: bool | None = None,
    progress: bool = False,
    force: bool = False,
) -> RunResult:
    """Run a card: generate, simulate and (if an output is given) write Parquet.

    `n` and `seed` override the card's. A file is written only when `output` is given (the
    CLI passes the card's `run.output` by default). Events are kept in
    memory and returned as `RunResult.events` when `keep` is true (default: when nothing is
    written), so notebooks get a table and large productions stay bounded in memory.
    An existing output is only replaced with `force`.
    """
    if not isinstance(card, RunCard):
        card = load_card(card)
    n_events = card.run.events if n is None else int(n)
    if n_events < 1:
        raise ValueError(f"number of events must be >= 1, got {n_events}")
    seed = card.run.seed if seed is None else int(seed)
    out_path = Path(output) if output is not None else None
    keep = out_path is None if keep is None else keep
    if out_path is not None:
        check_output(out_path, force)
    start = time.perf_counter()
    tables, n_reco = [], 0
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n_events, unit="ev", unit_scale=True, desc="alpsim")
    writer = ParquetWriter(out_path, metadata(card, n_events, seed)) if out_path else None
    try:
        for index, first, size in chunks(n_events, card.run.chunk_size):
            record, reco = simulate_chunk(card, seed, index, first, size)
            n_reco += int(reco.columns().get("reconstructed", np.zeros(0, bool)).sum())
            table = writer.write(record, reco) if writer else None
            if keep:
                from .detector.writers.parquet import chunk_table

                tables.append(table if table is not None else chunk_table(record, reco))
            if bar is not None:
                bar.update(size)
        if writer:
            writer.close()
    except BaseException:
        if writer:
            writer.abort()
        raise
    finally:
        if bar is not None:
            bar.close()
    events = pa.concat_tables(tables) if keep and tables else None
    return RunResult(card, n_events, n_reco, out_path, events, time.perf_counter() - start)
