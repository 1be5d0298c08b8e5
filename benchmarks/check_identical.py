"""Bit-identity of the chain's output: dump every array of simulate_chunk, or compare two dumps.

Run: python benchmarks/check_identical.py dump DIR [N]   (N events per card and seed, default 2e4)
     python benchmarks/check_identical.py compare DIR_BEFORE DIR_AFTER
Dumps, for each card of CARDS and each seed of SEEDS, every array of
`alpsim.runner.simulate_chunk(card, seed, 0, 0, N)` (the truth record's blocks, the per-event
columns and the reconstructed objects) to DIR/<card>_<seed>.npz; `compare` checks them bit for
bit (NaN == NaN, same dtype and shape, same set of names). Not a test: a tool for A/B checks of
speed-ups that must not move any output.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

CARDS_DIR = Path(__file__).resolve().parents[1] / "cards"
CARDS = [
    "belle2_b2ka_gg",
    "belle2_b2ka_mumu",
    "babar_b2ka_gg",
    "belle2_tau_mu_a",
    "analysis_belle2_gamma_a_gg",
    "bes3_jpsi_gamma_a_untagged",
    "belle2_b2kstar_a_ee",
    "belle2_b2kstar_a_KK",
    "belle2_b2ka_pipi",
]
SEEDS = (12345, 987)


def arrays(card_name: str, seed: int, n: int) -> dict[str, np.ndarray]:
    """Every array of one chunk, keyed by a path-like name."""
    from alpsim.card import load_card
    from alpsim.runner import simulate_chunk

    card = load_card(CARDS_DIR / f"{card_name}.toml")
    record, reco = simulate_chunk(card, seed, 0, 0, n)
    out: dict[str, np.ndarray] = {}
    for b, blk in enumerate(record.blocks):
        for name in ("pdg", "status", "mother", "p4", "vertex"):
            out[f"truth/{b}/{name}"] = np.asarray(getattr(blk, name))
        for k, v in blk.weights.items():
            out[f"truth/{b}/w/{k}"] = np.asarray(v)
    for b, blk in enumerate(reco.blocks):
        out[f"reco/{b}/p4"] = blk.p4
        out[f"reco/{b}/detected"] = blk.detected
        for k, v in blk.columns.items():
            out[f"reco/{b}/col/{k}"] = np.asarray(v)
        for kind, fields in blk.objects.items():
            for k, v in fields.items():
                out[f"reco/{b}/obj/{kind}/{k}"] = np.asarray(v)
    return out


def dump(directory: Path, n: int) -> None:
    """Write DIR/<card>_<seed>.npz for every card and seed."""
    directory.mkdir(parents=True, exist_ok=True)
    for card in CARDS:
        for seed in SEEDS:
            a = arrays(card, seed, n)
            flat = {k.replace("/", "|"): v for k, v in a.items()}
            np.savez(directory / f"{card}_{seed}.npz", **flat)
            print(f"{card} seed {seed}: {len(a)} arrays", flush=True)


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit-identical, NaN == NaN."""
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind in "fc":  # bits equal wherever either is not NaN (so -0.0 != 0.0)
        na, nb = np.isnan(a), np.isnan(b)
        keep = ~(na | nb)
        bits = np.dtype(f"u{a.dtype.itemsize}") if a.dtype.kind == "f" else np.uint8
        av = a[keep].view(bits) if a.dtype.kind == "f" else a[keep].view(np.uint8)
        bv = b[keep].view(bits) if a.dtype.kind == "f" else b[keep].view(np.uint8)
        return bool(np.array_equal(na, nb) and np.array_equal(av, bv))
    return bool(np.array_equal(a, b))


def compare(before: Path, after: Path) -> int:
    """Number of differing or missing arrays (printed)."""
    bad = total = 0
    for f in sorted(before.glob("*.npz")):
        x, y = np.load(f), np.load(after / f.name)
        if set(x.files) != set(y.files):
            print(f"{f.name}: names differ: {set(x.files) ^ set(y.files)}")
            bad += 1
        for k in sorted(set(x.files) & set(y.files)):
            total += 1
            if not same(x[k], y[k]):
                print(f"{f.name}: {k} differs")
                bad += 1
    print(f"{total} arrays compared, {bad} differ or missing")
    return bad


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        dump(Path(sys.argv[2]), int(float(sys.argv[3])) if len(sys.argv) > 3 else 20_000)
    else:
        sys.exit(1 if compare(Path(sys.argv[2]), Path(sys.argv[3])) else 0)
