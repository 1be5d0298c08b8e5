"""Acceptance versus lifetime: one sample per ALP mass, every lifetime by reweighting.

Each mass point is generated once with the ALP proper decay length drawn log-uniformly over
a range that covers the requested lifetimes (generator/lifetime.py), so that every decay
length — prompt, displaced, beyond the detector — is populated. The efficiency of the card's
selection at cτ is then the weighted mean ε(cτ) = (1/N) Σ w_i(cτ)·pass_i, with statistical
error √((⟨(w·pass)²⟩ − ε²)/N).
"""

from __future__ import annotations

import copy
import csv
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .card import RunCard, card_from_data
from .generator.lifetime import LifetimeSampling, lifetime_weight
from .runner import check_selection, chunks, selected, simulate_chunk


def parse_ctau_grid(text: str) -> np.ndarray:
    """'1e-3:1e5:40' → 40 log-spaced cτ values (mm) from 1e-3 to 1e5; or a comma list."""
    try:
        if ":" in text:
            lo, hi, n = text.split(":")
            lo_f, hi_f, n_i = float(lo), float(hi), int(n)
            if not (0 < lo_f < hi_f and np.isfinite(hi_f) and 1 <= n_i <= 10_000):
                raise ValueError
            return np.geomspace(lo_f, hi_f, n_i)
        values = np.array([float(v) for v in text.split(",")])
        if not (np.all(values > 0) and np.all(np.isfinite(values))):
            raise ValueError
        return values
    except ValueError:
        raise ValueError(
            f"--ctau {text!r}: expected LOW:HIGH:N (mm, 0 < LOW < HIGH, N >= 1) or a list a,b,c"
        ) from None


@dataclass
class ScanPoint:
    mass: float
    ctau: float
    efficiency: float
    error: float
    n_events: int


def card_at_mass(card: RunCard, mass: float, ctaus: np.ndarray) -> RunCard:
    """The card at another ALP mass, with log-uniform decay lengths covering `ctaus`."""
    data = copy.deepcopy(card.data)
    data["alp"]["mass"] = float(mass)
    varied = card_from_data(data, card.text, Path(card.path))
    lo = float(ctaus.min()) * 1e-3
    hi = max(float(ctaus.max()) * 30.0, 1e7)
    sampling = LifetimeSampling("log-uniform", varied.alp.ctau, proper_range=(lo, hi))
    return replace(varied, alp=replace(varied.alp, sampling=sampling))


@dataclass(frozen=True)
class ScanTask:
    """One chunk of one mass point (picklable, for any executor)."""

    card: RunCard  # the card at this mass, log-uniform lifetimes
    ctaus: np.ndarray
    seed: int
    index: int
    first: int
    size: int


def mass_seed(seed: int, mass_index: int) -> int:
    """Seed of the k-th mass point: independent streams per mass, fixed by the card's seed."""
    state = np.random.SeedSequence([seed, mass_index]).generate_state(1, np.uint64)[0]
    return int(state >> np.uint64(1))


def scan_chunk(task: ScanTask) -> tuple[float, int, np.ndarray, np.ndarray]:
    """Σ w(cτ)·pass and Σ (w(cτ)·pass)² over one chunk, for every cτ."""
    record, reco = simulate_chunk(task.card, task.seed, task.index, task.first, task.size)
    passed = selected(task.card, record, reco)
    bounds = np.cumsum([0] + [b.n_events for b in record.blocks])
    parts = []
    for b, lo, hi in zip(record.blocks, bounds[:-1], bounds[1:], strict=True):
        ok = passed[lo:hi]
        if "alp_proper_length" in b.extra:  # the ALP decays in this block: reweight
            ell, density = b.extra["alp_proper_length"][ok], b.extra["alp_sampling_density"][ok]
            parts.append(np.stack([lifetime_weight(ell, density, ct) for ct in task.ctaus]))
        else:  # e.g. a -> invisible: no decay length, weight 1 at every cτ
            parts.append(np.ones((task.ctaus.size, int(ok.sum()))))
    w = np.concatenate(parts, axis=1)
    return task.card.alp.mass, task.index, w.sum(axis=1), (w**2).sum(axis=1)


def points_from_sums(
    mass: float, ctaus: np.ndarray, sum_w: np.ndarray, sum_w2: np.ndarray, n: int
) -> list[ScanPoint]:
    """ε = Σw/N with error √((Σw²/N − ε²)/N) at each cτ."""
    eff = sum_w / n
    err = np.sqrt(np.maximum(sum_w2 / n - eff**2, 0.0) / n)
    return [
        ScanPoint(mass, float(c), float(e), float(s), n)
        for c, e, s in zip(ctaus, eff, err, strict=True)
    ]


def write_table(points: list[ScanPoint], path: Path) -> None:
    """CSV table: mass_GeV, ctau_mm, efficiency, error, n_events (written as `path`; runs
    write it under a temporary name, `write_outputs`)."""
    with Path(path).open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["mass_GeV", "ctau_mm", "efficiency", "error", "n_events"])
        for p in points:
            out.writerow(
                [
                    f"{p.mass:g}",
                    f"{p.ctau:.6g}",
                    f"{p.efficiency:.6g}",
                    f"{p.error:.3g}",
                    p.n_events,
                ]
            )


def plot(points: list[ScanPoint], path: Path, title: str) -> None:
    """Efficiency versus cτ, one curve per mass (matplotlib, PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for mass in sorted({p.mass for p in points}):
        sel = [p for p in points if p.mass == mass]
        c = np.array([p.ctau for p in sel])
        e = np.array([p.efficiency for p in sel])
        s = np.array([p.error for p in sel])
        ax.plot(c, e, label=f"$m_a$ = {mass:g} GeV")
        ax.fill_between(c, e - s, e + s, alpha=0.3)
    ax.set_xscale("log")
    ax.set_xlabel(r"$c\tau$ [mm]")
    ax.set_ylabel("efficiency")
    ax.set_title(title, fontsize=9)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=120, format="png")
    finally:
        plt.close(fig)


def write_outputs(
    points: list[ScanPoint], table: Path, png: Path, title: str, force: bool = False
) -> bool:
    """The CSV table and the PNG plot under temporary names, committed together
    (alpsim/commit.py): both appear or neither. Returns whether the plot was made (it is
    skipped when matplotlib is missing)."""
    from .commit import commit, discard, sweep, temp_path

    for directory in {table.parent, png.parent}:
        sweep(directory)
    tmp_table, tmp_png = temp_path(table), temp_path(png)
    pairs = [(tmp_table, table)]
    try:
        write_table(points, tmp_table)
        try:
            plot(points, tmp_png, title)
            pairs.append((tmp_png, png))
        except ImportError:
            pass
        commit(pairs, force=force)
    except BaseException:
        discard([tmp_table, tmp_png])
        raise
    return len(pairs) == 2


def scan(
    card: RunCard,
    ctaus: np.ndarray,
    masses: list[float] | None = None,
    n: int | None = None,
    seed: int | None = None,
    executor=None,
) -> list[ScanPoint]:
    """Efficiency table over (mass, cτ): each mass generated once, lifetimes by reweighting.

    Every (mass, chunk) is an independent task with its own seed (`mass_seed`, then the chunk
    index), so the mass points are statistically independent and the table is the same
    whichever executor (serial, local processes, Dask: alpsim.dataset) runs them.
    """
    from .dataset import serial_executor
    from .runner import MAX_SEED, check_integer

    ctaus = np.asarray(ctaus, dtype=float)
    if ctaus.ndim != 1 or not ctaus.size or not np.all(np.isfinite(ctaus) & (ctaus > 0)):
        raise ValueError(f"ctaus must be a non-empty list of finite lifetimes > 0 (mm): {ctaus}")
    masses = [card.alp.mass] if masses is None else list(masses)
    if not masses or not all(
        isinstance(m, (int, float, np.floating)) and not isinstance(m, bool) and 0 < m < np.inf
        for m in masses
    ):
        raise ValueError(f"masses must be a non-empty list of finite masses > 0 (GeV): {masses}")
    n = card.run.events if n is None else check_integer("n", n, 1, 10**12 + 1)
    seed = card.run.seed if seed is None else check_integer("seed", seed, 0, MAX_SEED)
    varied = {m: card_at_mass(card, m, ctaus) for m in masses}  # validate all before any work
    for v in varied.values():
        check_selection(v)
    tasks = [
        ScanTask(v, ctaus, mass_seed(seed, k), index, first, size)
        for k, v in enumerate(varied.values())
        for index, first, size in chunks(n, v.run.chunk_size)
    ]
    sums: dict[float, dict[int, tuple[np.ndarray, np.ndarray]]] = {m: {} for m in masses}
    for mass, index, sw, sw2 in (executor or serial_executor)(scan_chunk, tasks):
        sums[mass][index] = (sw, sw2)
    points: list[ScanPoint] = []
    for m in masses:
        parts = [sums[m][i] for i in sorted(sums[m])]  # fixed order: identical sums
        sum_w = np.sum([p[0] for p in parts], axis=0)
        sum_w2 = np.sum([p[1] for p in parts], axis=0)
        points.extend(points_from_sums(m, ctaus, sum_w, sum_w2, n))
    return points


def scan_mass(
    card: RunCard, mass: float, ctaus: np.ndarray, n: int, seed: int, executor=None
) -> list[ScanPoint]:
    """Efficiency ± error at each cτ for one mass, from one sample of n events."""
    return scan(card, ctaus, [mass], n=n, seed=seed, executor=executor)
