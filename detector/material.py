"""Material in front of the calorimeter: photon conversions, bremsstrahlung, multiple scattering.

The stage acts on the truth event record before the detector chain (runner.simulate_chunk), with
its own random stream, so that what it makes is then tracked and clustered like any particle:

- Photon conversions γ → e+e−: a photon crossing a layer of thickness t = x/X0 along its path
  converts there with probability 1 − exp(−7/9 t) (high-energy pair cross section
  σ = 7/9 A/(X0 N_A): Y.-S. Tsai, Rev. Mod. Phys. 46 (1974) 815; PDG Review "Passage of particles
  through matter", eq. 34.31 integrated). The electron takes the fraction x of the photon energy
  from the complete-screening Bethe–Heitler spectrum dσ/dx ∝ 1 − 4/3 x(1 − x) (PDG eq. 34.31),
  x ∈ [m_e/E, 1 − m_e/E]; the pair goes along the photon (opening angle ~ m_e/E neglected) from
  the crossing point. In the record the photon becomes status 2 with the e− and e+ as its
  status-1 daughters at the conversion vertex. Photons below 2 m_e do not convert. The asymptotic
  7/9 law overestimates conversions of soft photons (the pair cross section in Si is ~80 % of its
  limit at 100 MeV, PDG Fig. 34.17): not corrected.
- Bremsstrahlung of e±: in each layer crossed the electron keeps the energy fraction u with the
  Bethe–Heitler density f(u) = (−ln u)^{c−1}/Γ(c), c = t/ln 2 (Bethe & Heitler, Proc. R. Soc.
  A146 (1934) 83; R. Frühwirth, Comput. Phys. Commun. 154 (2003) 131, eq. 1), i.e. −ln u is
  Gamma(c)-distributed and ⟨u⟩ = exp(−t). The losses of all layers crossed add (−ln u sums, an
  exact property of the density); the radiated energy goes into one photon, emitted along the
  electron at the layer where most was lost (photons of several layers are collinear to within
  the track's bending between layers). The photon is a status-1 daughter of the electron; the
  electron keeps its slot and status and its four-momentum in the record becomes the one after
  the material (same direction, energy u·E), so the tracker measures the radiated momentum and
  four-momentum stays balanced: E_before = E_after + E_γ. Photons lighter than the card's
  `brems_min_energy` are not made (and that electron keeps its energy). Bremsstrahlung photons do
  not convert again (second order in x/X0).
- Multiple scattering: `highland_theta0` (PDG eq. 34.15) and `crossings` (per-layer traversed
  thickness of a helix or a straight line) for the tracking stage; the stage itself does not
  deflect tracks.

Only layers whose kind interacts (config.MATERIAL_KINDS: not "calorimeter_front") make
conversions and bremsstrahlung. Events whose photons convert or whose electrons radiate get a
template of their own: a block becomes several blocks of the same mode (the record's events are
then grouped by what happened in the material, in a fixed order: same seed, same events).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np
import scipy.constants as sc
from numpy.typing import NDArray

from ..pdg import C_MM_PER_NS
from ..pdg import charge as pdg_charge
from ..pdg import mass as pdg_mass
from ..record import DECAYED, FINAL, Block, EventRecord, derived_block
from .config import DetectorSettings, MaterialLayer, MaterialSettings

Array = NDArray[np.float64]

#: GeV per (T mm): radius of curvature ρ = pT/(K q B), K = c · 1e-12 (c in m/s).
K_FIELD = sc.c * 1e-12
#: High-energy pair-production probability per radiation length: 7/9 (Tsai 1974; PDG eq. 34.31).
PAIR_FRACTION = 7.0 / 9.0
#: Highland scale 13.6 MeV and log coefficient 0.038 (PDG Review, "Passage of particles through
#: matter", eq. 34.15; Lynch & Dahl, NIM B58 (1991) 6).
HIGHLAND_SCALE, HIGHLAND_LOG = 0.0136, 0.038
ELECTRON, PHOTON = 11, 22
M_E = pdg_mass(ELECTRON)
#: Smallest cosine between direction and layer normal used for the path (grazing crossings).
MIN_COS = 1e-3


def highland_theta0(
    p: Array | float, beta: Array | float, x_over_x0: Array | float, charge: float = 1.0
) -> Array:
    """Plane-projected multiple-scattering angle θ0 (rad) after x/X0 of material:

    θ0 = 13.6 MeV/(β c p) |z| √(x/X0) [1 + 0.038 ln(x z²/(X0 β²))]
    (PDG Review "Passage of particles through matter", eq. 34.15; Highland, NIM 129 (1975) 497;
    Lynch & Dahl, NIM B58 (1991) 6), p in GeV. Accurate to 11 % for 1e-3 < x/X0 < 100; 0 where
    there is no material.
    """
    p, beta, x = (np.asarray(v, dtype=float) for v in (p, beta, x_over_x0))
    z2 = charge * charge
    with np.errstate(divide="ignore", invalid="ignore"):
        log = np.log(np.where(x > 0, x * z2 / (beta * beta), 1.0))
        theta = HIGHLAND_SCALE / (beta * p) * abs(charge) * np.sqrt(x) * (1.0 + HIGHLAND_LOG * log)
    return np.where(x > 0, theta, 0.0)


def conversion_probability(x_over_x0_path: Array | float) -> Array:
    """Probability that a high-energy photon converts in t radiation lengths: 1 − exp(−7/9 t)."""
    return -np.expm1(-PAIR_FRACTION * np.asarray(x_over_x0_path, dtype=float))


def sample_pair_fraction(rng: np.random.Generator, e_gamma: Array) -> Array:
    """Energy fraction x of the electron in γ → e+e−, complete-screening Bethe–Heitler spectrum
    dσ/dx ∝ 1 − 4/3 x(1 − x) (PDG eq. 34.31) on [m_e/E, 1 − m_e/E]; by rejection (acceptance ≥ 2/3)."""
    e_gamma = np.asarray(e_gamma, dtype=float)
    lo = np.minimum(M_E / e_gamma, 0.5)
    x = np.empty(e_gamma.shape)
    todo = np.arange(e_gamma.size)
    while todo.size:
        a = lo[todo]
        trial = a + (1.0 - 2.0 * a) * rng.random(todo.size)
        ok = rng.random(todo.size) < 1.0 - 4.0 / 3.0 * trial * (1.0 - trial)
        x[todo[ok]] = trial[ok]
        todo = todo[~ok]
    return x


def sample_brems_loss(rng: np.random.Generator, x_over_x0: Array) -> Array:
    """s = −ln u for thicknesses t (any shape): Gamma(t/ln 2)-distributed, so that the kept
    energy fraction u = exp(−s) follows the Bethe–Heitler density (−ln u)^{t/ln2 − 1}/Γ(t/ln 2)
    and ⟨u⟩ = 2^{−t/ln 2} = exp(−t). Zero where t = 0."""
    return rng.gamma(np.asarray(x_over_x0, dtype=float) / np.log(2.0))


@dataclass
class Crossings:
    """Where N particles cross each of L layers (outgoing, first crossing):

    `x0` (N, L) traversed thickness x/X0 over the cosine to the layer normal (0: not crossed),
    `position` (N, L, 3) mm, `direction` (N, L, 3) unit vector there, `path` (N, L) mm travelled
    from the production point."""

    x0: Array
    position: Array
    direction: Array
    path: Array


@nb.njit(cache=True)
def _crossings_kernel(vtx, p3, q, field, radii, zlo, zhi, thick, k_field, out_t, out_pos, out_dir, out_s):
    n, n_l = out_t.shape
    two_pi = 2.0 * np.pi
    for i in range(n):
        x0, y0, z0 = vtx[i, 0], vtx[i, 1], vtx[i, 2]
        px, py, pz = p3[i, 0], p3[i, 1], p3[i, 2]
        pt = np.hypot(px, py)
        p = np.sqrt(pt * pt + pz * pz)
        r0 = np.hypot(x0, y0)
        for k in range(n_l):
            out_t[i, k] = 0.0
            big_r = radii[k]
            if big_r <= r0 + 1e-9 or pt <= 0.0:
                continue
            if q == 0.0 or field == 0.0:
                ux, uy = px / pt, py / pt
                b = x0 * ux + y0 * uy
                st = -b + np.sqrt(b * b - (r0 * r0 - big_r * big_r))  # transverse distance
                x, y, z = x0 + st * ux, y0 + st * uy, z0 + st * pz / pt
                dx, dy, dz = px / p, py / p, pz / p
                s = st * p / pt
            else:
                rho = pt / (k_field * abs(q) * field)
                sgn = 1.0 if q * field > 0 else -1.0
                ux, uy = px / pt, py / pt
                cx, cy = x0 + sgn * rho * uy, y0 - sgn * rho * ux
                psi0 = np.arctan2(y0 - cy, x0 - cx)
                dc = np.hypot(cx, cy)
                if dc <= 0.0:
                    continue
                cosv = (big_r * big_r - dc * dc - rho * rho) / (2.0 * rho * dc)
                if cosv > 1.0 or cosv < -1.0:
                    continue  # the helix never reaches this radius
                a = np.arccos(cosv)
                phi0 = sgn * (psi0 - np.arctan2(cy, cx))
                al1 = (phi0 - a) % two_pi
                al2 = (phi0 + a) % two_pi
                alpha = al1 if al1 < al2 else al2
                psi = psi0 - sgn * alpha
                x, y = cx + rho * np.cos(psi), cy + rho * np.sin(psi)
                z = z0 + rho * pz / pt * alpha
                dx, dy, dz = sgn * np.sin(psi) * pt / p, -sgn * np.cos(psi) * pt / p, pz / p
                s = rho * alpha * p / pt
            if z < zlo[k] or z > zhi[k]:
                continue
            cosn = (x * dx + y * dy) / big_r
            if cosn < 1e-3:
                cosn = 1e-3
            out_t[i, k] = thick[k] / cosn
            out_pos[i, k, 0], out_pos[i, k, 1], out_pos[i, k, 2] = x, y, z
            out_dir[i, k, 0], out_dir[i, k, 1], out_dir[i, k, 2] = dx, dy, dz
            out_s[i, k] = s


def crossings(
    vertex: Array, p3: Array, charge: float, field: float, layers: tuple[MaterialLayer, ...]
) -> Crossings:
    """Layer crossings of particles from production points `vertex` (N, ≥3) with momenta `p3`
    (N, ≥3): straight lines for neutral particles, helices in the solenoid field `field` (T)
    otherwise (same parametrisation as detector/helix.py). A layer counts if the particle starts
    inside its radius and crosses it within its z range; the traversed thickness is x/X0 divided
    by the cosine between direction and the layer normal (1/sinθ from the IP). For multiple
    scattering: `highland_theta0(p, β, crossings(...).x0)` gives θ0 layer by layer."""
    n, n_l = vertex.shape[0], len(layers)
    radii = np.array([l.radius for l in layers], dtype=float)
    zlo = np.array([l.z_range[0] for l in layers], dtype=float)
    zhi = np.array([l.z_range[1] for l in layers], dtype=float)
    thick = np.array([l.x_over_x0 for l in layers], dtype=float)
    out = Crossings(np.empty((n, n_l)), np.zeros((n, n_l, 3)), np.zeros((n, n_l, 3)), np.zeros((n, n_l)))
    _crossings_kernel(
        np.ascontiguousarray(vertex[:, :3], dtype=float),
        np.ascontiguousarray(p3[:, :3], dtype=float),
        float(charge),
        float(field),
        radii,
        zlo,
        zhi,
        thick,
        K_FIELD,
        out.x0,
        out.position,
        out.direction,
        out.path,
    )
    return out


@dataclass
class _Electron:
    """One electron line of a block: an original e± slot or one member of a conversion pair."""

    slot: int  # template slot (original), or −1 for a conversion electron
    photon: int  # index into the block's photon list for a conversion electron, else −1
    pdg: int
    valid: NDArray[np.bool_]  # (N,) events where this electron exists
    p4: Array  # (N, 4) at production (valid events)
    vertex: Array  # (N, 4)
    radiates: NDArray[np.bool_] | None = None  # (N,)
    p4_after: Array | None = None
    gamma_p4: Array | None = None
    gamma_vertex: Array | None = None


def _convert(
    rng: np.random.Generator, block: Block, slot: int, layers, field: float
) -> tuple[NDArray[np.bool_], Array, Array, Array, Array]:
    """Conversions of one photon slot: (converted (N,), e− p4, e+ p4, pair vertex (N, 4))."""
    p4, vtx = block.p4[:, slot], block.vertex[:, slot]
    n = p4.shape[0]
    cr = crossings(vtx, p4, 0.0, field, layers)
    u = rng.random(cr.x0.shape)
    hit = u < conversion_probability(cr.x0)
    hit &= (p4[:, 3] > 2.0 * M_E)[:, None]
    converted = hit.any(axis=1)
    where = np.argmax(hit, axis=1)
    idx = np.flatnonzero(converted)
    k = where[idx]
    e_g = p4[idx, 3]
    x = sample_pair_fraction(rng, e_g)
    e_minus, e_plus, vertex = np.zeros((n, 4)), np.zeros((n, 4)), np.zeros((n, 4))
    direction = cr.direction[idx, k]
    for out, frac in ((e_minus, x), (e_plus, 1.0 - x)):
        e = frac * e_g
        pm = np.sqrt(np.maximum(e * e - M_E * M_E, 0.0))
        out[idx, :3] = direction * pm[:, None]
        out[idx, 3] = e
    vertex[idx, :3] = cr.position[idx, k]
    vertex[idx, 3] = vtx[idx, 3] + cr.path[idx, k] / C_MM_PER_NS
    return converted, e_minus, e_plus, vertex


def _radiate(rng: np.random.Generator, el: _Electron, layers, field: float, k_min: float) -> None:
    """Bremsstrahlung of one electron line over the layers it crosses (valid events only)."""
    n = el.valid.shape[0]
    idx = np.flatnonzero(el.valid)
    el.radiates = np.zeros(n, dtype=bool)
    el.p4_after = el.p4.copy()
    el.gamma_p4, el.gamma_vertex = np.zeros((n, 4)), np.zeros((n, 4))
    if idx.size == 0:
        return
    p4, vtx = el.p4[idx], el.vertex[idx]
    cr = crossings(vtx, p4, pdg_charge(el.pdg), field, layers)
    s = sample_brems_loss(rng, cr.x0)
    keep = np.exp(-s.sum(axis=1))
    e0 = p4[:, 3]
    e1 = np.maximum(keep * e0, M_E)
    k_gamma = e0 - e1
    rad = k_gamma >= max(k_min, 1e-12)
    j = np.argmax(s, axis=1)
    rows = np.arange(idx.size)
    p0 = np.linalg.norm(p4[:, :3], axis=1)
    p1 = np.sqrt(np.maximum(e1 * e1 - M_E * M_E, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(p0 > 0, p1 / p0, 0.0)
    after = p4.copy()
    after[rad, :3] *= scale[rad, None]
    after[rad, 3] = e1[rad]
    g = np.zeros((idx.size, 4))
    g[:, :3] = cr.direction[rows, j] * k_gamma[:, None]
    g[:, 3] = k_gamma
    gv = np.zeros((idx.size, 4))
    gv[:, :3] = cr.position[rows, j]
    beta = np.where(e0 > 0, p0 / e0, 1.0)
    gv[:, 3] = vtx[:, 3] + cr.path[rows, j] / (beta * C_MM_PER_NS)
    el.radiates[idx] = rad
    el.p4_after[idx] = after
    el.gamma_p4[idx] = g
    el.gamma_vertex[idx] = gv


def material_block(
    rng: np.random.Generator, block: Block, settings: MaterialSettings, field: float
) -> list[Block]:
    """Conversions and bremsstrahlung in one block; returns the block, or its events split into
    blocks by what happened (the untouched events first, in their original order)."""
    layers = tuple(l for l in settings.layers if l.interacting)
    n = block.n_events
    final = block.status == FINAL
    photons = np.flatnonzero(final & (block.pdg == PHOTON)) if settings.conversions else []
    originals = np.flatnonzero(final & (np.abs(block.pdg) == ELECTRON))
    if n == 0 or not layers or (len(photons) == 0 and (originals.size == 0 or not settings.bremsstrahlung)):
        return [block]
    converted, electrons = [], []
    for s in originals:
        electrons.append(
            _Electron(int(s), -1, int(block.pdg[s]), np.ones(n, bool), block.p4[:, s], block.vertex[:, s])
        )
    for j, s in enumerate(photons):
        conv, e_minus, e_plus, vtx = _convert(rng, block, int(s), layers, field)
        converted.append(conv)
        electrons.append(_Electron(-1, j, ELECTRON, conv, e_minus, vtx))
        electrons.append(_Electron(-1, j, -ELECTRON, conv, e_plus, vtx))
    for el in electrons:
        if settings.bremsstrahlung:
            _radiate(rng, el, layers, field, settings.brems_min_energy)
        else:
            el.radiates, el.p4_after = np.zeros(n, bool), el.p4
    bits = np.column_stack([*converted, *(el.radiates for el in electrons)])
    if not bits.any():
        return [block]
    patterns, inverse = np.unique(bits, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(patterns.shape[0] + 1))
    out = []
    n_conv = len(converted)
    for g, pattern in enumerate(patterns):
        events = order[bounds[g] : bounds[g + 1]]
        if not pattern.any():
            out.append(_subset(block, events))
            continue
        out.append(_pattern_block(block, events, photons, pattern[:n_conv], electrons, pattern[n_conv:]))
    return out


def _subset(block: Block, events: NDArray[np.intp]) -> Block:
    """The untouched events of a block (the block itself if it is all of them)."""
    if events.size == block.n_events:
        return block
    return derived_block(
        block, events, block.status, np.empty(0, np.int32), np.empty(0, np.int32),
        block.p4[events], block.vertex[events],
    )


def _pattern_block(block, events, photons, conv_bits, electrons, rad_bits) -> Block:
    """Events sharing one pattern of conversions and emissions, as a block with its template."""
    status = block.status.copy()
    new_pdg, new_mother, new_p4, new_vtx = [], [], [], []
    p4 = block.p4[events].copy()
    slot_of: dict[int, int] = {}
    p_next = block.n_particles
    for j, s in enumerate(photons):
        if not conv_bits[j]:
            continue
        status[s] = DECAYED
        for e, el in enumerate(electrons):
            if el.photon == j:
                slot_of[e] = p_next
                p_next += 1
                new_pdg.append(el.pdg)
                new_mother.append(int(s))
                new_p4.append(el.p4_after[events])
                new_vtx.append(el.vertex[events])
    for e, el in enumerate(electrons):
        if not rad_bits[e]:
            continue
        if el.slot >= 0:
            p4[:, el.slot] = el.p4_after[events]
            mother = el.slot
        else:
            mother = slot_of[e]
        new_pdg.append(PHOTON)
        new_mother.append(mother)
        new_p4.append(el.gamma_p4[events])
        new_vtx.append(el.gamma_vertex[events])
    all_p4 = np.concatenate([p4, np.stack(new_p4, axis=1)], axis=1)
    all_vtx = np.concatenate([block.vertex[events], np.stack(new_vtx, axis=1)], axis=1)
    return derived_block(
        block, events, status, np.array(new_pdg, np.int32), np.array(new_mother, np.int32),
        np.ascontiguousarray(all_p4), np.ascontiguousarray(all_vtx),
    )


def apply_material(rng: np.random.Generator, record: EventRecord, det: DetectorSettings) -> None:
    """Photon conversions and bremsstrahlung in the detector card's material, in place on the
    truth record (a no-op unless [material] is enabled)."""
    m = det.material
    if not m.enabled or not m.layers:
        return
    blocks: list[Block] = []
    for b in record.blocks:
        blocks.extend(material_block(rng, b, m, det.solenoid_field))
    record.blocks = blocks
