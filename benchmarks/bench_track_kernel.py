"""Thread CPU per track of each compiled pass of the track response (helix_kernel.py).

Run: python benchmarks/bench_track_kernel.py [N] [--remarks]

Tracks: muons of 0.3–3 GeV, cos θ uniform in [−0.9, 0.95], φ uniform, production point
Gaussian about the IP (σ 0.5, 0.5, 2 mm), Belle II card (cards/belle2.toml). Best of 7 per
pass (the machine is shared; thread CPU, not wall time); glibc keeps freed buffers as in
`alpsim run` (allocator.keep_heap). --remarks recompiles the kernels in
a fresh numba cache with LLVM's loop-vectoriser remarks printed (why a loop is not SIMD).
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
if "--remarks" in sys.argv:
    import llvmlite.binding as llvm

    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp()
    llvm.set_option("", "-pass-remarks-missed=loop-vectorize")
    llvm.set_option("", "-pass-remarks=loop-vectorize")
    llvm.set_option("", "-pass-remarks-analysis=loop-vectorize")

import numpy as np

import alpsim.detector.helix_kernel as hk
from alpsim.allocator import keep_heap
from alpsim.detector.config import load_detector, shipped_card
from alpsim.detector.helix import K_FIELD
from alpsim.detector.tracking import TrackTable, track_response

REPS = 7


def _best(f) -> float:
    best = math.inf
    for _ in range(REPS):
        t0 = time.thread_time()
        f()
        best = min(best, time.thread_time() - t0)
    return best


def main() -> None:
    keep_heap()  # as `alpsim run`: no page faults of fresh buffers (about 100 ns/track)
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(float(args[0])) if args else 100_000
    det = load_detector(shipped_card("belle2"))
    trk, cal = det.tracking, det.calorimeter
    radii, weights, res, cot_lo, cot_hi, resp, hits = trk.kernel_arrays
    rng = np.random.default_rng(1)
    m = 0.1056583755  # only sets E; the passes do not depend on it
    p = rng.uniform(0.3, 3.0, n)
    ct = rng.uniform(-0.9, 0.95, n)
    ph = rng.uniform(0.0, 2.0 * np.pi, n)
    st = np.sqrt(1.0 - ct * ct)
    p4 = np.stack([p * st * np.cos(ph), p * st * np.sin(ph), p * ct, np.hypot(p, m)], 1)
    vtx = np.zeros((n, 4))
    vtx[:, :3] = rng.normal(0.0, 1.0, (n, 3)) * [0.5, 0.5, 2.0]
    table = TrackTable.empty(1, n)
    x0 = np.ascontiguousarray(vtx[:, :3])
    p3 = p4[:, :3]
    geo_cal = (cal.inner_radius, cal.z_backward, cal.z_forward)
    s = 1.0
    geo = np.empty((14, n))
    hk._circles(x0, p3, s, K_FIELD * trk.field, geo)
    psi0 = np.arctan2(x0[:, 1] - geo[5], x0[:, 0] - geo[4])
    phi0 = s * (psi0 - np.arctan2(geo[5], geo[4]))
    z = np.ascontiguousarray(x0[:, 2])

    def layers():
        out = (np.zeros(n, np.int64), np.zeros(n, np.int64), np.full(n, np.inf), np.zeros(n),
               np.full(n, np.inf))  # fmt: skip
        hk._layer_pass(z, geo, phi0, radii, weights, res, cot_lo, cot_hi, int(trk.n_silicon),
                       *out)  # fmt: skip
        return out

    n_lay, n_si, first, last, sig = layers()
    u_found, g = rng.random(n), rng.standard_normal((5, n))
    eff = resp[2] * -np.expm1(-np.maximum(np.hypot(p4[:, 0], p4[:, 1]) - resp[0], 0) / resp[1])
    found = np.empty(n, bool)
    x_ref, p_ref, local = np.empty((n, 3)), np.empty((n, 4)), np.empty((n, 7))
    args_smear = (p4, x0, radii, res, u_found, g, eff, True, m, resp, hits, n_lay, n_si, first,
                  last, sig, found, x_ref, p_ref, local)  # fmt: skip
    hk._smear(*args_smear)
    d0, z0, uxp, uyp, _, _ = hk._perigee(x0, geo, psi0, phi0, s, *geo_cal, n_lay.copy(),
                                         first.copy(), last.copy(), sig.copy())  # fmt: skip
    kin, hel, out = np.empty((5, n)), np.empty((14, n)), np.empty((n, 4))
    passes = {
        "track_response (all)": lambda: track_response(rng, p4, vtx, 1.0, m, trk, cal, table),
        "random numbers (1 + 5 per track)": lambda: (rng.random(n), rng.standard_normal((5, n))),
        "_helix_core (true helix)": lambda: hk._helix_core(
            x0,
            p3,
            1.0,
            trk.field,
            radii,
            weights,
            res,
            cot_lo,
            cot_hi,
            *geo_cal,
            int(trk.n_silicon),
        ),
        "  _circles": lambda: hk._circles(x0, p3, s, K_FIELD * trk.field, geo),
        "  two np.arctan2": lambda: (
            np.arctan2(x0[:, 1] - geo[5], x0[:, 0] - geo[4]),
            np.arctan2(geo[5], geo[4]),
        ),
        "  _layer_pass": layers,
        "  _perigee (perigee + impact)": lambda: hk._perigee(
            x0, geo, psi0, phi0, s, *geo_cal, n_lay.copy(), first.copy(), last.copy(), sig.copy()
        ),
        "_smear": lambda: hk._smear(*args_smear),
        "_perigee_response": lambda: hk._perigee_response(
            x_ref.copy(), p_ref.copy(), d0, z0, uxp, uyp, local, found, m, 1.0, out, kin, hel
        ),
    }
    for name, f in passes.items():
        f()  # compile / load
        print(f"{name:40s} {_best(f) / n * 1e9:7.1f} ns/track")


if __name__ == "__main__":
    main()
