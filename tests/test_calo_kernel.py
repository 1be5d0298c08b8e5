"""The vectorised cluster smearing against its exact scalar form, and the block path against
the per-slot stages it fuses."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from alpsim.detector.calo_kernel import (
    N_PARAMS,
    P_ALPHA,
    P_N,
    P_POS_A,
    P_THRESH,
    _smear_exact,
    crystal_ball_quantile,
    smear_deposits,
)
from alpsim.detector.calorimeter import (
    cluster_block,
    make_clusters,
    merge_clusters,
    smearing_params,
)
from alpsim.detector.config import load_detector, shipped_card

REGIONS = np.array([[0.21, 0.56], [0.57, 2.23], [2.24, 2.70]])
#: per region: noise, stochastic, constant, position a b c, threshold, tail α, n, sampling
PARAMS = np.array([
    [0.0002, 0.016, 0.012, 2.0, 4.0, 1.0, 0.02, 0.0, 0.0, 0.0],
    [0.0002, 0.016, 0.012, 2.0, 4.0, 1.0, 0.03, 1.0, 4.0, 0.01],
    [0.0004, 0.020, 0.015, 2.0, 4.0, 1.0, 0.04, 0.8, 3.0, 0.02],
])  # fmt: skip
assert PARAMS.shape[1] == N_PARAMS


def _deposits(n: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    theta = rng.uniform(0.15, 2.9, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    r = rng.uniform(1250.0, 2500.0, n)
    x, y, z = r * np.sin(theta) * np.cos(phi), r * np.sin(theta) * np.sin(phi), r * np.cos(theta)
    e = rng.uniform(0.05, 5.0, n)
    return e, x, y, z, *rng.standard_normal((3, n))


def _smear(params: np.ndarray, e, x, y, z, g_t, g_p, g_e):
    n = e.shape[0]
    out = np.empty((4, n))
    exists = np.empty(n, dtype=bool)
    ones = np.ones(n, dtype=bool)
    smear_deposits(
        e, x, y, z, g_t, g_p, g_e, np.zeros(n), np.ones(n), ones, params, REGIONS,
        out[0], out[1], out[2], out[3], exists,
    )  # fmt: skip
    return out, exists


@pytest.mark.parametrize("pos_a", [2.0, 400.0])  # small angles (series) / large (exact path)
def test_vectorised_smearing_equals_the_exact_formula(pos_a):
    params = PARAMS.copy()
    params[:, P_POS_A] = pos_a
    e, x, y, z, g_t, g_p, g_e = _deposits(2000, 7)
    out, exists = _smear(params, e, x, y, z, g_t, g_p, g_e)
    for k in range(e.shape[0]):
        ok, er, px, py, pz = _smear_exact(e[k], x[k], y[k], z[k], g_t[k], g_p[k], g_e[k],
                                          params, REGIONS)  # fmt: skip
        assert exists[k] == ok
        if ok:
            np.testing.assert_allclose(out[:, k], [er, px, py, pz], rtol=1e-12, atol=1e-9)
        else:
            assert np.isnan(out[:, k]).all()
    assert 0.3 < exists.mean() < 1.0  # both outcomes occur


def test_cluster_block_equals_the_per_slot_stages():
    """Two photons from one vertex, close enough to merge sometimes: the block path gives the
    clusters of make_clusters followed by merge_clusters with the same random numbers."""
    cal = replace(load_detector(shipped_card("belle2")).calorimeter, crystal_size=0.0,
                  merging_distance=72.0)  # fmt: skip
    rng = np.random.default_rng(3)
    n = 4000
    theta = rng.uniform(0.4, 2.5, n)
    p4 = np.zeros((n, 2, 4))
    for s, dth in enumerate((0.0, 0.03)):
        p4[:, s, 0] = np.sin(theta + dth)
        p4[:, s, 2] = np.cos(theta + dth)
        p4[:, s, 3] = 1.0 + s
    vertex = np.zeros((n, 2, 4))
    g = rng.standard_normal((2, 3, n))
    u = rng.random((2, n))
    impact = np.empty((3, 2, n))
    reached = np.empty((2, n), dtype=bool)
    p4_sm, vertex_sm = p4.transpose(1, 0, 2).copy(), vertex.transpose(1, 0, 2).copy()
    block = cluster_block(p4_sm, vertex_sm, [0, 1], np.array([True, True]), np.empty((2, n)),
                          impact, reached, g, u, cal, np.zeros(3))  # fmt: skip

    class Replay:  # hands make_clusters the same draws
        def __init__(self, s):
            self.s = s

        def standard_normal(self, shape):
            return g[self.s]

        def random(self, n):
            return u[self.s]

    energy = np.empty((n, 2))
    pos = np.empty((n, 2, 3))
    exists = np.empty((n, 2), dtype=bool)
    for s in range(2):
        c = make_clusters(Replay(s), p4[:, s, 3], impact[:, s].T, reached[s], cal)
        energy[:, s], pos[:, s], exists[:, s] = c.energy, c.position, c.exists
    owner = merge_clusters(energy, pos, exists, cal.merging_distance)
    assert 0 < (owner[:, 1] == 0).sum() < n  # some merge, some don't
    np.testing.assert_array_equal(block.exists.T, exists)  # the block is slot-major
    np.testing.assert_array_equal(block.owner.T, owner)
    np.testing.assert_allclose(block.energy.T, energy, rtol=1e-14)
    np.testing.assert_allclose(np.stack([block.x.T, block.y.T, block.z.T], -1), pos, rtol=1e-14)
    r = np.linalg.norm(pos, axis=-1)
    p4 = block.p4.transpose(1, 0, 2)
    np.testing.assert_allclose(p4[..., :3], pos * (energy / r)[..., None], rtol=1e-12)
    np.testing.assert_allclose(block.theta.T, np.arccos(pos[..., 2] / r), rtol=1e-9)


@pytest.mark.parametrize("energy", [0.1, 1.0, 4.0])
def test_smearing_widths_are_the_card_resolutions(energy):
    """Deposits of one energy at one barrel point, the card's tail switched off: the spread of
    E_reco/E − 1 is σ_E/E and the spread of the position along z is σ_pos (CalorimeterSettings
    formulas at that polar angle), within 3 %."""
    cal = load_detector(shipped_card("belle2")).calorimeter
    cal = replace(cal, regions=tuple(replace(r, tail_alpha=0.0) for r in cal.regions))
    n = 200_000
    rng = np.random.default_rng(4)
    e = np.full(n, energy)
    x, y, z = np.full(n, cal.inner_radius), np.zeros(n), np.zeros(n)
    out, exists = _smear(_params(cal), e, x, y, z, *rng.standard_normal((3, n)))
    th = np.array(np.pi / 2)  # the point (inner_radius, 0, 0): the barrel region's terms
    rel = cal.relative_energy_resolution(np.array(energy), th)
    assert np.std(out[0][exists] / energy - 1.0) == pytest.approx(rel, rel=0.03)
    assert np.std(out[3][exists]) == pytest.approx(
        cal.position_sigma(np.array(energy), th), rel=0.03
    )


def _params(cal) -> np.ndarray:
    out = smearing_params(cal)
    out[:, P_THRESH] = 0.0
    return out


def _crystal_ball_cdf(x: np.ndarray, alpha: float, n: float) -> np.ndarray:
    """CDF of the standard Crystal Ball density (Gaiser, SLAC-R-255), by numerical quadrature
    of its definition (independent of the kernel's closed-form inverse)."""
    from scipy.integrate import quad

    def pdf(t):
        if t > -alpha:
            return np.exp(-0.5 * t * t)
        a = (n / alpha) ** n * np.exp(-0.5 * alpha * alpha)
        return a * (n / alpha - alpha - t) ** (-n)

    norm = quad(pdf, -np.inf, -alpha)[0] + quad(pdf, -alpha, np.inf)[0]
    cdf = [
        quad(pdf, -np.inf, min(v, -alpha))[0] + (quad(pdf, -alpha, v)[0] if v > -alpha else 0.0)
        for v in x
    ]
    return np.array(cdf) / norm


@pytest.mark.parametrize(("alpha", "n"), [(1.0, 5.0), (0.5, 2.0), (2.0, 10.0)])
def test_crystal_ball_quantiles_follow_the_crystal_ball_cdf(alpha, n):
    """Standard normals mapped by crystal_ball_quantile are Crystal Ball distributed: the
    empirical CDF matches the quadrature of the density within the sampling error."""
    g = np.random.default_rng(5).standard_normal(100_000)
    x = np.array([crystal_ball_quantile(v, alpha, n) for v in g])
    points = np.array([-6.0, -3.0, -alpha - 0.3, -alpha, -0.5, 0.0, 1.0, 2.0])
    emp = np.array([(x <= p).mean() for p in points])
    np.testing.assert_allclose(emp, _crystal_ball_cdf(points, alpha, n), atol=0.004)
    assert np.all(np.diff(x[np.argsort(g)]) >= 0)  # monotone map: one uniform, one variate


def test_tail_lowers_the_mean_but_not_the_peak():
    """With the card's tail the response keeps its peak at E_true and gains a low-side tail:
    mean below the median, more entries below −3σ than a Gaussian's 0.13 %."""
    cal = load_detector(shipped_card("belle2")).calorimeter
    params = _params(cal)
    assert np.all(params[:, P_ALPHA] > 0) and np.all(params[:, P_N] > 1)
    n = 100_000
    rng = np.random.default_rng(6)
    e = np.full(n, 1.0)
    out, exists = _smear(params, e, np.full(n, cal.inner_radius), np.zeros(n), np.zeros(n),
                         *rng.standard_normal((3, n)))  # fmt: skip
    rel = out[0][exists] - 1.0
    sigma = cal.relative_energy_resolution(np.array(1.0), np.array(np.pi / 2))  # barrel
    hist, edges = np.histogram(rel, bins=60, range=(-3 * sigma, 3 * sigma))
    peak = 0.5 * (edges[np.argmax(hist)] + edges[np.argmax(hist) + 1])
    assert abs(peak) < 0.15 * sigma
    assert rel.mean() < np.median(rel)
    assert (rel < -3 * sigma).mean() > 0.01


def test_deposits_that_cannot_make_a_cluster_leave_the_others_unchanged():
    """A deposit whose impact is not reached, or whose efficiency draw fails, makes no cluster
    (NaN), and every other deposit's cluster is bit-identical to the one it gets when all
    deposits are reached and efficient (smear_deposits skips the former)."""
    e, x, y, z, g_t, g_p, g_e = _deposits(4000, 11)
    n = e.shape[0]
    rng = np.random.default_rng(3)
    u, eff = rng.random(n), np.full(n, 0.8)
    reached = rng.random(n) < 0.9
    out_all, exists_all = _smear(PARAMS, e, x, y, z, g_t, g_p, g_e)
    out, exists = np.empty((4, n)), np.empty(n, dtype=bool)
    smear_deposits(
        e, x, y, z, g_t, g_p, g_e, u, eff, reached, PARAMS, REGIONS,
        out[0], out[1], out[2], out[3], exists,
    )  # fmt: skip
    cut = ~reached | (u >= eff)
    assert cut.any() and (~cut).any()
    assert not exists[cut].any() and np.isnan(out[:, cut]).all()
    np.testing.assert_array_equal(exists[~cut], exists_all[~cut])
    np.testing.assert_array_equal(out[:, ~cut], out_all[:, ~cut])


def test_shower_axes_only_where_a_cluster_exists():
    """shower_coordinates: u = R θ/c, v = ρ φ/c (showershape.py) for the deposits that made a
    cluster, NaN for the others (merge_showers and shower_shapes read only the former)."""
    from alpsim.detector.showershape import shower_coordinates

    _, x, y, z, *_ = _deposits(500, 5)
    exists = np.random.default_rng(2).random(500) < 0.7
    su, sv = shower_coordinates(x[None], y[None], z[None], 50.0, exists[None])
    rho = np.sqrt(x**2 + y**2)
    r = np.sqrt(rho**2 + z**2)
    np.testing.assert_allclose(su[0, exists], (r * np.arctan2(rho, z) / 50.0)[exists], rtol=1e-14)
    np.testing.assert_allclose(sv[0, exists], (rho * np.arctan2(y, x) / 50.0)[exists], rtol=1e-14)
    assert np.isnan(su[0, ~exists]).all() and np.isnan(sv[0, ~exists]).all()
