"""The run loop: card → chunks → generator → detector → writer, with per-chunk seeds.

Chunk seeds come from the card's seed and the chunk index (numpy SeedSequence spawn keys),
never from the worker, so a chunk's events do not depend on how the run is split. The
generator and the detector draw from separate streams of the same chunk seed.
"""

from __future__ import annotations

import dataclasses
import logging
import numbers
import os
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from ._version import __version__
from .allocator import keep_heap
from .card import RunCard, load_card
from .commit import commit, discard, sweep
from .detector.chain import RecoRecord, simulate
from .detector.material import apply_material
from .detector.writers.hepmc3 import HepMC3Writer
from .detector.writers.parquet import ParquetWriter
from .detector.writers.root import RootWriter
from .generator.beams import draw_beams
from .generator.lifetime import LifetimeSampling, lifetime_weight, resample_alp_decays
from .record import EventRecord
from .signals import raise_if_interrupted

GENERATOR_STREAM, DETECTOR_STREAM, MATERIAL_STREAM = 0, 1, 2

log = logging.getLogger(__name__)

#: Most events one output file may hold (larger runs write a dataset directory, -o DIR/).
MAX_FILE_EVENTS = 100_000_000
#: Most events `run` keeps in memory (RunResult.events); larger runs write a file.
MAX_KEEP_EVENTS = 2_000_000
#: Forced decays whose mean weight (the decay probability inside the range) is below this
#: are flagged with a warning: the sample then stands for very few physical events.
TINY_FORCED_WEIGHT = 1e-4
MAX_SEED = 2**63


class OutputError(ValueError):
    """An output path that cannot be used; raised before any event is generated."""


def check_integer(name: str, value: object, lo: int, hi: int) -> int:
    """An integer argument within [lo, hi): TypeError for floats, bools or strings,
    ValueError out of range, each naming the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if not lo <= value < hi:
        raise ValueError(f"{name} = {value} must be in [{lo}, {hi - 1}]")
    return value


def output_kind(name: str) -> str:
    """'parquet' for a Parquet file name, 'hepmc3', 'root' or '' from a name's ending."""
    low = name.lower()
    if low.endswith(".parquet"):
        return "parquet"
    if low.endswith((".hepmc", ".hepmc3", ".hepmc.gz", ".hepmc3.gz", ".hepmc2", ".hepevt")):
        return "hepmc3"
    if low.endswith(".root"):
        return "root"
    return ""


def check_outputs(output: Path | None, hepmc3: Path | None, root: Path | None, force: bool) -> None:
    """All checks of a single-file run's outputs, before any work: names match their formats,
    no two outputs are the same file, none is a directory, existing ones need `force`."""
    named = [(o, p) for o, p in (("output", output), ("hepmc3", hepmc3), ("root", root)) if p]
    for option, path in named:
        if str(path) in ("", "."):
            raise OutputError(f"{option} {str(path)!r} is not a file name")
    seen: dict[Path, str] = {}
    for option, path in named:
        key = path.resolve()
        if key in seen:
            raise OutputError(
                f"{seen[key]} and {option} are the same file {str(path)!r}: give each output "
                "its own name"
            )
        seen[key] = option
    if output is not None and output_kind(output.name) != "parquet":
        kind = output_kind(output.name)
        hint = {
            "hepmc3": "; HepMC3 is written by --hepmc3 (hepmc3=)",
            "root": "; ROOT is written by --root (root=)",
        }.get(kind, "")
        raise OutputError(f"output {str(output)!r} must be a .parquet file name{hint}")
    for option, path in named[1:] if output is not None else named:
        if output_kind(path.name) not in (option, ""):
            raise OutputError(
                f"{option} {str(path)!r} has the name of a {output_kind(path.name)} file: give "
                f"the {option} output a name of its own format"
            )
    for _, path in named:
        check_output(path, force)


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
    return card.selection.mask(event_columns(record, reco), card.alp.mass)


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
    """Fail before the run if the selection names columns the run does not produce; warn
    when forced decays give every event a tiny weight (a questionable choice of range)."""
    record, reco = simulate_chunk(card, card.run.seed, 0, 0, 20)
    card.selection.check_columns(set(event_columns(record, reco)), card.path)
    sampling = card.alp.sampling
    nominal = record.weights().get("nominal")
    if sampling.mode == "forced" and nominal is not None and nominal.size:
        mean = float(np.mean(nominal))
        if mean < TINY_FORCED_WEIGHT:
            warnings.warn(
                f"alp.decay_range = {list(sampling.lab_range)} mm holds a fraction ~{mean:.2g} "
                f"of the decays at ctau = {sampling.ctau:g} mm: every event carries a weight "
                "that small, so the sample stands for very few physical events",
                UserWarning,
                stacklevel=3,
            )


def check_output(path: Path, force: bool) -> None:
    """Fail before any work if the output exists (without force) or cannot be written."""
    if path.is_dir() or str(path).endswith(os.sep):
        raise OutputError(f"output {str(path)!r} is a directory, not a file name")
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
    apply_material(chunk_rng(seed, index, MATERIAL_STREAM), record, card.detector)
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
    """HepMC3 (truth) and ROOT writers asked for besides Parquet (in that order)."""
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
    overrides: Mapping[str, object] | None = None,
) -> RunResult:
    """Run a card: generate, simulate and (if an output is given) write Parquet.

    `n` and `seed` override the card's (integers: a float or bool is a TypeError, a value out
    of range a ValueError). `overrides` changes card fields by dotted path, e.g.
    ``{"alp.mass": 2.0, "alp.ctau": 10.0}``, validated as the card file would be. A file is
    written only when `output` (a .parquet name) is given; events are kept in memory and
    returned as `RunResult.events` when `keep` is true (default: when nothing is written), at
    most MAX_KEEP_EVENTS of them. An existing output is only replaced with `force`. `hepmc3`
    and `root` add a truth HepMC3 file (.gz compressed) and a ROOT TTree file, written from the
    same chunks; all outputs are renamed into place together when all are complete.
    """
    if not isinstance(card, RunCard):
        if not isinstance(card, (str, os.PathLike)):
            raise TypeError(f"card must be a RunCard or a path, got {type(card).__name__}")
        card = load_card(card, overrides=overrides)
    elif overrides:
        from .card import apply_overrides

        card = apply_overrides(card, overrides)
    n_events = card.run.events if n is None else check_integer("n", n, 1, 10**12 + 1)
    seed = card.run.seed if seed is None else check_integer("seed", seed, 0, MAX_SEED)
    for name, value in (("output", output), ("hepmc3", hepmc3), ("root", root)):
        if value is not None and not isinstance(value, (str, os.PathLike)):
            raise TypeError(f"{name} must be a path, got {type(value).__name__}")
    out_path = Path(output) if output is not None else None
    keep = out_path is None if keep is None else bool(keep)
    hep_path = Path(hepmc3) if hepmc3 is not None else None
    root_path = Path(root) if root is not None else None
    check_outputs(out_path, hep_path, root_path, force)
    paths = [p for p in (out_path, hep_path, root_path) if p is not None]
    if paths and n_events > MAX_FILE_EVENTS:
        raise OutputError(
            f"n = {n_events} events: one output file holds at most {MAX_FILE_EVENTS:,}; "
            "write a dataset directory (-o DIR/) for more"
        )
    if keep and n_events > MAX_KEEP_EVENTS:
        raise ValueError(
            f"n = {n_events} events kept in memory: at most {MAX_KEEP_EVENTS:,}; write them "
            "to a file (output=...) and read it back, or pass keep=False"
        )
    for directory in {p.parent for p in paths}:
        sweep(directory)
    start = time.perf_counter()
    check_selection(card)
    log.info(
        "%s at %s: %d events, seed %d, outputs %s",
        card.channel.name,
        card.detector.name,
        n_events,
        seed,
        [str(p) for p in paths] or "none",
    )
    tables, n_reco, w_sum = [], 0, 0.0
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=n_events, unit="ev", unit_scale=True, desc="alpsim")
    meta = metadata(card, n_events, seed)
    writer = None
    others: list = []
    try:
        writer = ParquetWriter(out_path, meta) if out_path else None
        others = open_extra_writers(card, meta, hep_path, root_path)
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

                out = card.output
                kept = chunk_table(record, reco, out.truth, out.detail) if table is None else table
                tables.append(kept)
            # the next chunk is simulated while this one is written: only its table stays
            del record, reco, passed, table
            raise_if_interrupted()  # a signal whose exception was swallowed still stops the run
            if bar is not None:
                bar.update(size)
            log.debug("chunk %d: events %d-%d done", index, first, first + size - 1)
        extra_paths = [q for q in (hep_path, root_path) if q is not None]
        owned = ([(writer, out_path)] if writer else []) + list(
            zip(others, extra_paths, strict=True)
        )
        pairs = [(w.finish(), q) for w, q in owned]
        pairs = [(tmp, q) for tmp, q in pairs if tmp is not None]
        raise_if_interrupted()
        commit(pairs, force=force)
    except BaseException:
        for w in ([writer] if writer else []) + others:
            w.abort()
        # a writer that had finished its temporary file before another one failed
        discard(
            getattr(w, "tmp", None) or w.tmp_path for w in ([writer] if writer else []) + others
        )
        raise
    finally:
        if bar is not None:
            bar.close()
    events = pa.concat_tables(tables) if keep and tables else None
    seconds = time.perf_counter() - start
    log.info("%d events in %.1f s", n_events, seconds)
    return RunResult(card, n_events, n_reco, w_sum, out_path, events, seconds)
