"""Arrow tables of the output: one row per event, built from whole columns, typed and documented.

`chunk_table(record, reco, truth)` turns one chunk (the truth `EventRecord` and the detector's
`RecoRecord`) into an Arrow table; the Parquet and ROOT writers and the in-memory result of
`alpsim.run` all use it. Every column and every field of the list columns carries its unit and
a one-line description in its Arrow field metadata (keys `unit`, `description`); `column_docs`
gives the same as one JSON-able dict, which the Parquet writer also stores in the file's
key-value metadata (key `alpsim_columns`), where polars reads it (`pl.read_parquet_metadata`).

Truth record (`[output] truth`):
- "signal" (default): the signal decay only, the decay trees of the template particles with
  role `signal_parent` and `tag_tau` (every non-beam particle where the channel has no decaying
  parent, e.g. e+e− → γa), in float32, without the production time (see `particles_column`);
  `mother` indexes this list (−1: not in it);
- "full": the whole record (beams, resonance, other B ...), float64, lossless, with the
  production time `t` and the truth-matched response `reco_*` of every particle;
- "none": no `particles` column.
In every mode the `particle` field of tracks, clusters and vertices is the index of their truth
particle in the row's `particles` list (−1 if that particle is not stored); "none" drops it.

Detail (`[output] detail`): "analysis" (default) writes what an analysis selects on; "full"
adds the expert fields (`Doc.detail == "full"`: the per-cluster shower-shape moments of the
`clusters` list; new expert fields such as track covariance elements or per-hit information
are declared the same way). The shower shapes of the signal daughters stay in every mode as
the per-role columns `<role>_cluster*`.

Precision (why the stored precision is enough, column by column): float32 keeps 24 bits, and
each float32 column keeps only the mantissa bits (`Doc.bits`, detector/writers/quantise.py)
its resolution needs, so that the noise bits below it do not cost file size. k kept bits
give a rounding error of rms ≤ 2^-k·|x|/√12, relative to the value:
- FINE (16 bits, rms ≤ 4.4·10⁻⁶ relative) for momenta, energies, masses, positions, impact
  parameters, φ0, tanλ, ω, cosθ, Mbc, ΔE, √s: at least 10 times below the finest resolution of
  any detector card, so a measured width grows by ≤ 0.5 % in quadrature. The finest ones
  (cards/belle2.toml): σ(p_T)/p_T ≥ 10⁻³ (230 times the rms); beam-energy spread 2.4 MeV on
  5.29 GeV, 4.5·10⁻⁴ for Mbc (100 times); σ(φ0) ≥ 1.6·10⁻⁴ rad and σ(tanλ) ≥ 2·10⁻⁴ for
  p ≤ 7 GeV (phi0_resolution, tanlambda_resolution: a ⊕ b/p), against a direction from the
  momentum components good to 4.4·10⁻⁶ rad, φ0 (|φ0| ≤ π) to 8.8·10⁻⁶ rad and tanλ ≤ 4 to
  8.8·10⁻⁶ (≥ 18 times); d0 10 µm
  (at |d0| = 50 mm the rms is 0.14 µm); polar angles from cosθ: 4.4·10⁻⁶/sinθ ≤ 1.5·10⁻⁵ rad
  in the acceptance (sinθ ≥ 0.29). Truth four-momenta use the same bits: a mass recomputed
  from them has δ(m²) ≈ 2E²·4·10⁻⁶, fine for m ≳ 3·10⁻³·E; the field `m` keeps each
  particle's generated mass to the full float32 precision.
- COARSE (10 bits, rms ≤ 2.8·10⁻⁴ relative) for uncertainties, χ², probabilities,
  significances and shower shapes: a quoted uncertainty or a χ² to 0.03 % is far below their
  own statistical scatter (a percent for any sample of a few 10⁴ events) and below the
  percent-level modelling of the shower shapes (detector/showershape.py).
- EXACT (all 23 bits) for the generated masses `m`, the ALP proper decay length and its
  sampling density (lifetime reweighting divides densities of ℓ), and the pointing cosines
  (cos α near 1: 1 − cos α ≈ α²/2 needs the full mantissa for α of a mrad).
Kept float64: event weights (summed over 10⁷ events and more), and the "full" truth record
(lossless, not rounded). Counters are int16, PDG ids int32, flags bool.

Nulls: none. A value that does not exist is NaN (False for flags, −1 for indices), and an event
without objects has an empty list, so every field, list and list item is declared
non-nullable: Parquet then stores no definition levels for the per-event columns and one bit
(empty list or not) per nested value instead of two: 7-14 % of the writer's encoding time
(benchmarks/bench_parquet_compression.py); awkward reads the lists without option types.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numba
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from ...record import BEAM, Block, EventRecord
from ..chain import RecoRecord
from .quantise import FLOAT32_BITS, quantise_inplace

TRUTH_CHOICES = ("signal", "full", "none")
DEFAULT_TRUTH = "signal"
DETAIL_CHOICES = ("analysis", "full")
DEFAULT_DETAIL = "analysis"
COLUMNS_KEY = b"alpsim_columns"

F32, F64, BOOL = pa.float32(), pa.float64(), pa.bool_()
#: Mantissa bits kept per float32 column (module doc "Precision").
FINE, COARSE, EXACT = 16, 10, FLOAT32_BITS
I8, I16, I32, I64 = pa.int8(), pa.int16(), pa.int32(), pa.int64()


@dataclass(frozen=True)
class Doc:
    """Type, unit and one-line description of a column or of a field of a list column; for
    float32, the mantissa bits kept (`bits`, module doc "Precision"); `detail` "full" marks an
    expert field written only with `[output] detail = "full"`."""

    dtype: pa.DataType
    unit: str
    description: str
    bits: int = FINE
    detail: str = DEFAULT_DETAIL

    def field(self, name: str, dtype: pa.DataType | None = None) -> pa.Field:
        meta = {"unit": self.unit, "description": self.description}
        return pa.field(name, dtype or self.dtype, nullable=False, metadata=meta)


#: Per-event columns by exact name.
EVENT: dict[str, Doc] = {
    "event_number": Doc(I64, "", "event number in the run (independent of the chunking)"),
    "mode": Doc(
        pa.dictionary(I32, pa.string()), "", "decay mode, e.g. 'B+ -> K+ a; a -> gamma gamma'"
    ),
    "sqrt_s": Doc(F32, "GeV", "true centre-of-mass energy of the collision (energy spread in)"),
    "sqrt_s_hard": Doc(F32, "GeV", "centre-of-mass energy of the hard process after ISR"),
    "isr_x": Doc(F32, "", "fraction of the beam energy carried by initial-state radiation"),
    "alp_proper_length": Doc(
        F32, "mm", "proper decay length of the ALP, cτ·x (reweighting)", bits=EXACT
    ),
    "alp_sampling_density": Doc(
        F32,
        "1/mm",
        "density g(ℓ) the ALP proper decay length was drawn from (reweighting)",
        bits=EXACT,
    ),
    "recoil_mass_truth": Doc(F32, "GeV", "true mass recoiling against the μ+μ− pair"),
    "x_l_truth": Doc(F32, "", "τ → ℓa: true 2E_ℓ/m_τ of the lepton in the signal τ rest frame"),
    "x_l_truth_prf": Doc(
        F32, "", "τ → ℓa: true x_ℓ in the pseudo-rest frame (E_τ = √s/2, opposite the tag)"
    ),
    "signal_tau_helicity": Doc(F32, "", "helicity of the signal τ (±1)"),
    "tag_tau_helicity": Doc(F32, "", "helicity of the tag τ (±1)"),
    "Mbc": Doc(F32, "GeV", "beam-constrained mass of the truth-matched signal candidate"),
    "deltaE": Doc(F32, "GeV", "E* − E_beam of the truth-matched signal candidate (nominal CM)"),
    "sig_M": Doc(F32, "GeV", "invariant mass of the signal parent's reconstructed descendants"),
    "reconstructed": Doc(BOOL, "", "all visible daughters of the signal parent reconstructed"),
    "a_M": Doc(F32, "GeV", "ALP candidate mass: vertex mass if vertexed, else daughters' mass"),
    "a_InvM": Doc(F32, "GeV", "invariant mass of the ALP's reconstructed daughters at the IP"),
    "a_M_fit": Doc(F32, "GeV", "di-photon mass after the beam-energy constraint ΔE = 0"),
    "a_Mprime": Doc(F32, "GeV", "reduced mass √(M² − 4m²) of a pair of equal charged species"),
    "a_p": Doc(F32, "GeV", "lab momentum of the ALP candidate"),
    "a_cosTheta": Doc(F32, "", "lab polar-angle cosine of the ALP candidate"),
    "a_distance": Doc(F32, "mm", "3-D distance of the fitted ALP vertex from the IP (NaN: none)"),
    "a_dr": Doc(F32, "mm", "transverse distance of the fitted ALP vertex from the IP"),
    "a_dz": Doc(F32, "mm", "z of the fitted ALP vertex"),
    "a_merged": Doc(BOOL, "", "two ALP photons reconstructed as one cluster"),
    "a_ErrM": Doc(F32, "GeV", "uncertainty of the ALP vertex mass", bits=COARSE),
    "a_chiProb": Doc(F32, "", "χ² probability of the ALP vertex fit", bits=COARSE),
    "a_flightDistance": Doc(F32, "mm", "ALP flight distance from the IP along its momentum"),
    "a_flightDistanceErr": Doc(F32, "mm", "uncertainty of a_flightDistance", bits=COARSE),
    "a_significanceOfDistance": Doc(
        F32, "", "ALP vertex distance over its uncertainty", bits=COARSE
    ),
    "a_cosAngleBetweenMomentumAndVertexVector": Doc(F32, "", "ALP pointing cosine", bits=EXACT),
    "a_M_kinfit": Doc(F32, "GeV", "ALP mass after the parent's beam-energy and mass fit"),
    "kinfit_chi2": Doc(F32, "", "χ² of the parent's kinematic fit", bits=COARSE),
    "recoilMass": Doc(F32, "GeV", "mass recoiling against the visible non-ALP signal side"),
    "x_l": Doc(F32, "", "τ → ℓa: reconstructed x_ℓ in the pseudo-rest frame (NaN if unseen)"),
    "nTracks": Doc(I16, "", "reconstructed tracks in the event"),
    "nClusters": Doc(I16, "", "reconstructed calorimeter clusters in the event"),
    "visibleEnergyOfEventCMS": Doc(F32, "GeV", "visible energy in the CM frame"),
    "missingMass2": Doc(F32, "GeV^2", "missing mass squared (nominal beams minus visible)"),
    "missingMomentumOfEventCMS": Doc(F32, "GeV", "missing momentum in the CM frame"),
    "trg_any": Doc(BOOL, "", "any trigger line of the detector card fired"),
}

#: Per-particle-role columns `<role>_<suffix>` (roles such as kaon, alp_daughter_1, lepton).
ROLE: dict[str, Doc] = {
    "p": Doc(F32, "GeV", "lab momentum of the reconstructed {role}"),
    "cosTheta": Doc(F32, "", "lab polar-angle cosine of the reconstructed {role}"),
    "E": Doc(F32, "GeV", "lab energy of the reconstructed {role}"),
    "dr": Doc(F32, "mm", "|d0| of the {role} track w.r.t. the IP"),
    "dz": Doc(F32, "mm", "z0 of the {role} track w.r.t. the IP"),
    "pid": Doc(F32, "", "PID assigned to the {role} track, |PDG| id (NaN: no track)"),
    "clusterE9E21": Doc(
        F32, "", "E9/E21 of the cluster holding the {role} (basf2 name)", bits=COARSE
    ),
    "clusterSecondMoment": Doc(
        F32, "cm^2", "second moment of the {role}'s cluster (basf2)", bits=COARSE
    ),
    "clusterLAT": Doc(
        F32, "", "lateral energy distribution of the {role}'s cluster (basf2)", bits=COARSE
    ),
    "clusterNHits": Doc(F32, "", "crystals in the {role}'s cluster (basf2 name)", bits=COARSE),
}

#: Fields of the list columns.
PARTICLE: dict[str, Doc] = {
    "pdg": Doc(I32, "", "PDG id"),
    "status": Doc(I8, "", "HepMC3 status: 1 final state, 2 decayed, 4 beam"),
    "mother": Doc(I16, "", "index of the mother in this list (−1: none stored)"),
    "px": Doc(F32, "GeV", "lab momentum x"),
    "py": Doc(F32, "GeV", "lab momentum y"),
    "pz": Doc(F32, "GeV", "lab momentum z"),
    "E": Doc(F32, "GeV", "lab energy"),
    "m": Doc(
        F32, "GeV", "generated mass √(E² − p²) from the float64 record (0 if massless)", bits=EXACT
    ),
    "x": Doc(F32, "mm", "production vertex x"),
    "y": Doc(F32, "mm", "production vertex y"),
    "z": Doc(F32, "mm", "production vertex z"),
    "t": Doc(F32, "ns", "production time"),
    "reco_px": Doc(F32, "GeV", "truth-matched reconstructed momentum x (NaN: unseen)"),
    "reco_py": Doc(F32, "GeV", "truth-matched reconstructed momentum y (NaN: unseen)"),
    "reco_pz": Doc(F32, "GeV", "truth-matched reconstructed momentum z (NaN: unseen)"),
    "reco_E": Doc(F32, "GeV", "truth-matched reconstructed energy (NaN: unseen)"),
    "detected": Doc(BOOL, "", "reconstructed (track found or cluster made)"),
}
_LINK = Doc(I16, "", "index of its truth particle in this row's `particles` (−1: not stored)")
OBJECTS: dict[str, dict[str, Doc]] = {
    "tracks": {
        "particle": _LINK,
        "charge": Doc(I8, "e", "charge"),
        "pid": Doc(I16, "", "assigned PID, |PDG| id (11, 13, 211, 321, 2212)"),
        "px": Doc(F32, "GeV", "momentum x at the point of closest approach to the IP"),
        "py": Doc(F32, "GeV", "momentum y at the POCA"),
        "pz": Doc(F32, "GeV", "momentum z at the POCA"),
        "E": Doc(F32, "GeV", "energy (true-mass hypothesis)"),
        "d0": Doc(F32, "mm", "signed transverse impact parameter w.r.t. the IP"),
        "phi0": Doc(F32, "rad", "helix azimuth of the momentum at the POCA (basf2 Helix)"),
        "omega": Doc(F32, "1/mm", "signed helix curvature (basf2 Helix)"),
        "z0": Doc(F32, "mm", "longitudinal impact parameter w.r.t. the IP"),
        "tanLambda": Doc(F32, "", "helix dip: tangent of the angle to the transverse plane"),
        "d0Err": Doc(F32, "mm", "uncertainty of d0", bits=COARSE),
        "phi0Err": Doc(F32, "rad", "uncertainty of phi0", bits=COARSE),
        "omegaErr": Doc(F32, "1/mm", "uncertainty of omega", bits=COARSE),
        "z0Err": Doc(F32, "mm", "uncertainty of z0", bits=COARSE),
        "tanLambdaErr": Doc(F32, "", "uncertainty of tanLambda", bits=COARSE),
        "d0Phi0Cov": Doc(F32, "mm", "covariance of d0 and phi0 (rad)", bits=COARSE, detail="full"),
        "d0OmegaCov": Doc(F32, "", "covariance of d0 and omega (1/mm)", bits=COARSE, detail="full"),
        "phi0OmegaCov": Doc(
            F32, "1/mm", "covariance of phi0 (rad) and omega", bits=COARSE, detail="full"
        ),
        "z0TanLambdaCov": Doc(
            F32, "mm", "covariance of z0 and tanLambda (other pairs: 0)", bits=COARSE, detail="full"
        ),
        "nLayers": Doc(I16, "", "tracking layers crossed"),
        "clusterIndex": Doc(
            I16,
            "",
            "index in this row's `particles` of the particle whose "
            "cluster the extrapolated helix is matched to (−1: none)",
        ),
    },
    "clusters": {
        "particle": _LINK,
        "E": Doc(F32, "GeV", "cluster energy"),
        "x": Doc(F32, "mm", "front-face position x"),
        "y": Doc(F32, "mm", "front-face position y"),
        "z": Doc(F32, "mm", "front-face position z"),
        "nParticles": Doc(I16, "", "particles merged into the cluster"),
        "isTrackMatched": Doc(BOOL, "", "a track's extrapolated helix is matched to it"),
        "clusterE9E21": Doc(
            F32, "", "basf2 shower shape: E(3×3)/E(5×5 without corners)", bits=COARSE, detail="full"
        ),
        "clusterSecondMoment": Doc(
            F32, "cm^2", "basf2 shower shape: second moment", bits=COARSE, detail="full"
        ),
        "clusterLAT": Doc(
            F32, "", "basf2 shower shape: lateral energy distribution", bits=COARSE, detail="full"
        ),
        "clusterNHits": Doc(
            F32,
            "",
            "basf2 shower shape: crystals in the cluster (weighted)",
            bits=COARSE,
            detail="full",
        ),
    },
    "vertices": {
        "particle": Doc(I16, "", "index of the mother in this row's `particles` (−1: not stored)"),
        "x": Doc(F32, "mm", "fitted vertex x"),
        "y": Doc(F32, "mm", "fitted vertex y"),
        "z": Doc(F32, "mm", "fitted vertex z"),
        "x_uncertainty": Doc(F32, "mm", "uncertainty of the fitted x", bits=COARSE),
        "y_uncertainty": Doc(F32, "mm", "uncertainty of the fitted y", bits=COARSE),
        "z_uncertainty": Doc(F32, "mm", "uncertainty of the fitted z", bits=COARSE),
        "dr": Doc(F32, "mm", "transverse distance from the IP"),
        "distance": Doc(F32, "mm", "3-D distance from the IP"),
        "px": Doc(F32, "GeV", "momentum x at the vertex"),
        "py": Doc(F32, "GeV", "momentum y at the vertex"),
        "pz": Doc(F32, "GeV", "momentum z at the vertex"),
        "E": Doc(F32, "GeV", "energy at the vertex"),
        "M": Doc(F32, "GeV", "vertex mass"),
        "Mprime": Doc(F32, "GeV", "reduced vertex mass √(M² − 4m²) for equal species"),
        "ErrM": Doc(F32, "GeV", "uncertainty of the vertex mass", bits=COARSE),
        "chi2": Doc(F32, "", "χ² of the vertex fit", bits=COARSE),
        "chiProb": Doc(F32, "", "χ² probability of the vertex fit", bits=COARSE),
        "flightDistance": Doc(F32, "mm", "flight distance from the IP along the momentum"),
        "flightDistanceErr": Doc(F32, "mm", "uncertainty of flightDistance", bits=COARSE),
        "significanceOfDistance": Doc(
            F32, "", "distance from the IP over its uncertainty", bits=COARSE
        ),
        "cosAngleBetweenMomentumAndVertexVector": Doc(F32, "", "pointing cosine", bits=EXACT),
    },
}
LIST_DOCS = {
    "particles": "truth particles (see `[output] truth`), one struct per particle",
    "tracks": "reconstructed tracks, one struct per track",
    "clusters": "reconstructed calorimeter clusters, one struct per cluster",
    "vertices": "fitted two-track vertices, one struct per vertex",
}
_ROLE_RE = re.compile(
    r"(?P<role>.+)_(?P<suffix>p|cosTheta|E|dr|dz|pid|clusterE9E21|clusterSecondMoment|clusterLAT"
    r"|clusterNHits)"
)


def column_doc(name: str, roles: set[str] = frozenset()) -> Doc | None:
    """The documentation of a per-event column, None if the name is unknown."""
    if name in EVENT:
        return EVENT[name]
    if name.startswith("trgpattern_"):
        return Doc(BOOL, "", f"trigger pattern '{name[11:]}' of the detector card (e.g. a veto)")
    if name.startswith("trg_"):
        return Doc(BOOL, "", f"trigger line '{name[4:]}' of the detector card fired")
    if name == "weight_nominal":
        return Doc(F64, "", "event weight: probability of the forced ALP decay range")
    if name.startswith("weight_ctau_"):
        return Doc(F64, "", f"lifetime weight to cτ = {name[12:]} (w = f_cτ(ℓ)/g(ℓ))")
    if name.startswith("weight_"):
        return Doc(F64, "", f"event weight '{name[7:]}'")
    match = _ROLE_RE.fullmatch(name)
    if match and (not roles or match["role"] in roles):
        doc = ROLE[match["suffix"]]
        return Doc(doc.dtype, doc.unit, doc.description.format(role=match["role"]))
    return None


def _event_field(name: str, values: NDArray, roles: set[str]) -> tuple[pa.Field, pa.Array]:
    doc = column_doc(name, roles)
    if doc is None:  # a column added without documentation: kept as it is, flagged
        doc = Doc(pa.from_numpy_dtype(values.dtype), "", "(undocumented)")
    return doc.field(name), _array(values, doc.dtype, doc.bits)


def _gathered(parts: list[NDArray | None], sizes: list[int], name: str, roles: set[str]):
    """A per-event column from per-block parts (None: the block lacks it → NaN, False for
    flags), written straight into its output dtype: no float64 copy of the whole chunk."""
    known = next(p for p in parts if p is not None)
    doc = column_doc(name, roles)
    if doc is None:
        doc = Doc(pa.from_numpy_dtype(known.dtype), "", "(undocumented)")
    out = np.empty(sum(sizes), dtype=doc.dtype.to_pandas_dtype())
    start = 0
    for part, size in zip(parts, sizes, strict=True):
        if part is None:
            out[start : start + size] = False if known.dtype == np.bool_ else np.nan
        else:
            out[start : start + size] = part
        start += size
    if doc.dtype == F32:
        quantise_inplace(out, doc.bits)
    return doc.field(name), _from_numpy(out, doc.dtype)


def _from_numpy(values: NDArray, dtype: pa.DataType | None = None) -> pa.Array:
    """A 1-d numpy array as an Arrow array of `dtype` (default: the numpy dtype's), no nulls.

    Numbers share the array's memory (copied only if not contiguous), bools are bit-packed
    (Arrow's layout); the numpy dtype must already be `dtype`'s. `pa.array` would do the same,
    but it asks pyarrow's pandas shim whether the array is a pandas object, and that imports
    pandas (~0.3 s per process, paid by every `--jobs` worker) wherever pandas is installed.
    """
    values = np.ascontiguousarray(values)
    typ = pa.from_numpy_dtype(values.dtype) if dtype is None else dtype
    if values.dtype == np.bool_:
        data = pa.py_buffer(np.packbits(values, bitorder="little"))
    else:
        assert typ.bit_width == 8 * values.itemsize, (typ, values.dtype)
        data = pa.py_buffer(values)
    return pa.Array.from_buffers(typ, values.size, [None, data])


def _strings(values: list[str]) -> pa.Array:
    """A list of str as an Arrow string array, built from its buffers (`_from_numpy`: pa.array
    of a list imports pandas too)."""
    data = [v.encode() for v in values]
    offsets = np.zeros(len(data) + 1, dtype=np.int32)
    np.cumsum([len(d) for d in data], out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))]
    return pa.Array.from_buffers(pa.string(), len(data), buffers)


def _array(values: NDArray, dtype: pa.DataType, bits: int = EXACT) -> pa.Array:
    """An Arrow array of `dtype` from a numpy array (one cast pass at most, no Python loop);
    float32 rounded to `bits` mantissa bits (on a copy: the caller's array is not changed)."""
    np_type = dtype.to_pandas_dtype()
    if dtype == F32 and bits < EXACT:
        out = np.array(values, dtype=np.float32, copy=True, order="C")
        quantise_inplace(out, bits)
        return _from_numpy(out, dtype)
    return _from_numpy(np.asarray(values, dtype=np_type), dtype)


def _list_type(docs: dict[str, Doc], names: list[str], wide: bool) -> pa.DataType:
    fields = [docs[n].field(n, F64 if wide and docs[n].dtype == F32 else None) for n in names]
    return pa.list_(pa.field("item", pa.struct(fields), nullable=False))


# --- truth particles -------------------------------------------------------------------------


def truth_slots(block: Block, truth: str) -> NDArray[np.int64]:
    """Template slots of the truth record written for `truth` ("signal" or "full")."""
    if truth == "full":
        return np.arange(block.n_particles)
    heads = [block.roles[r] for r in ("signal_parent", "tag_tau") if r in block.roles]
    if not heads:
        return np.flatnonzero(block.status != BEAM)
    keep = np.zeros(block.n_particles, dtype=bool)
    keep[heads] = True
    for i in range(block.n_particles):  # mothers precede daughters (record.Block)
        m = block.mother[i]
        if m >= 0 and keep[m]:
            keep[i] = True
    return np.flatnonzero(keep)


@numba.njit(cache=True)
def _gather(p4, vertex, reco, slots, out):  # pragma: no cover - compiled
    """Rows of `out` (9 or 13, N·k): px py pz E m x y z t [reco_px reco_py reco_pz reco_E] of
    the template `slots` of (N, P, 4) arrays, event-major, in one pass (cast to out's dtype)."""
    n = p4.shape[0]
    k = slots.shape[0]
    with_reco = out.shape[0] > 9
    for e in range(n):
        for j in range(k):
            i = slots[j]
            r = e * k + j
            px, py, pz, en = p4[e, i, 0], p4[e, i, 1], p4[e, i, 2], p4[e, i, 3]
            out[0, r], out[1, r], out[2, r], out[3, r] = px, py, pz, en
            m2 = en * en - (px * px + py * py + pz * pz)
            if abs(m2) <= 1e-12 * en * en:  # massless up to float64 rounding (~1e-16·E²)
                out[4, r] = 0.0
            else:
                out[4, r] = np.sqrt(m2) if m2 > 0.0 else -np.sqrt(-m2)
            for c in range(4):
                out[5 + c, r] = vertex[e, i, c]
            if with_reco:
                for c in range(4):
                    out[9 + c, r] = reco[e, i, c]


_KINEMATIC = ("px", "py", "pz", "E", "m", "x", "y", "z", "t")
_RECO = ("reco_px", "reco_py", "reco_pz", "reco_E")


def particles_column(record: EventRecord, reco: RecoRecord | None, truth: str) -> pa.Array:
    """The list<struct> column of the truth particles (with the truth-matched response)."""
    wide = truth == "full"  # float64 and the truth-matched response (reco_*)
    dtype = np.float64 if wide else np.float32
    kin_names = _KINEMATIC + _RECO if wide else _KINEMATIC
    slots = [truth_slots(b, truth) for b in record.blocks]
    sizes = [b.n_events * len(s) for b, s in zip(record.blocks, slots, strict=True)]
    if wide:  # "full": each event's ragged particles (record.Ragged) follow its template's
        sizes = [z + (b.rest.pdg.size if b.rest is not None else 0)
                 for z, b in zip(sizes, record.blocks, strict=True)]  # fmt: skip
    total = sum(sizes)
    kin = np.empty((len(kin_names), total), dtype=dtype)
    pdg, status, mother = (np.empty(total, t) for t in (np.int32, np.int8, np.int16))
    detected = np.empty(total, dtype=bool)
    counts = np.empty(record.n_events, dtype=np.int32)
    start = first = 0
    for k, (b, s) in enumerate(zip(record.blocks, slots, strict=True)):
        stop = start + sizes[k]
        r = reco.blocks[k] if reco is not None else None
        if not wide:
            r_p4 = np.empty((1, 1, 4))  # not read
        else:
            r_p4 = r.p4 if r is not None else np.full_like(b.p4, np.nan)
        if wide and b.rest is not None:
            counts[first : first + b.n_events] = len(s) + b.rest.counts
            _with_rest(b, r_p4, r, kin[:, start:stop], pdg[start:stop], status[start:stop],
                       mother[start:stop], detected[start:stop])  # fmt: skip
            start, first = stop, first + b.n_events
            continue
        _gather(b.p4, b.vertex, r_p4, s, kin[:, start:stop])
        index = np.full(b.n_particles, -1, dtype=np.int16)
        index[s] = np.arange(len(s))
        moms = b.mother[s]
        local = np.where(moms >= 0, index[np.maximum(moms, 0)], -1)
        pdg[start:stop] = np.tile(b.pdg[s], b.n_events)
        status[start:stop] = np.tile(b.status[s], b.n_events)
        mother[start:stop] = np.tile(local, b.n_events)
        detected[start:stop] = r.detected[:, s].reshape(-1) if r is not None else False
        counts[first : first + b.n_events] = len(s)
        start, first = stop, first + b.n_events
    offsets = np.zeros(record.n_events + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    # "signal": no production time, t = Σ |Δx|·E/(|p|c) along the chain of straight flights
    # (generator/vertices.py) from the stored vertices and momenta
    rows = [i for i, k in enumerate(kin_names) if wide or k != "t"]
    names = ["pdg", "status", "mother", *(kin_names[i] for i in rows), "detected"]
    arrays = [_from_numpy(pdg), _from_numpy(status), _from_numpy(mother)]
    for i in rows:
        if not wide:  # "signal": float32 rounded to each field's bits ("full": lossless)
            quantise_inplace(kin[i], PARTICLE[kin_names[i]].bits)
        arrays.append(_from_numpy(kin[i]))
    arrays.append(_from_numpy(detected))
    typ = _list_type(PARTICLE, names, wide)
    struct = pa.StructArray.from_arrays(arrays, fields=list(typ.value_type))
    return pa.ListArray.from_arrays(_from_numpy(offsets), struct, type=typ)


def _with_rest(b: Block, r_p4, r, kin, pdg, status, mother, detected) -> None:
    """The "full" truth of a block with a ragged part: per event the template particles, then
    its ragged ones (record.Ragged), scattered into the block's slice of the output arrays. The
    ragged particles' `reco_*` are NaN and `detected` False (detector/rest_of_event.py)."""
    n, p, rest = b.n_events, b.n_particles, b.rest
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(p + rest.counts, out=start[1:])
    tmp = np.empty((kin.shape[0], n * p), dtype=kin.dtype)
    _gather(b.p4, b.vertex, r_p4, np.arange(p), tmp)
    pos = (start[:-1, None] + np.arange(p)[None, :]).reshape(-1)
    kin[:, pos] = tmp
    pdg[pos], status[pos] = np.tile(b.pdg, n), np.tile(b.status, n)
    mother[pos] = np.tile(b.mother, n)
    detected[pos] = r.detected.reshape(-1) if r is not None else False
    ev = rest.event
    rpos = start[ev] + p + np.arange(rest.pdg.size) - rest.offsets[ev]
    k = rest.pdg.size
    tmp = np.empty((kin.shape[0], k), dtype=kin.dtype)
    _gather(rest.p4[:, None, :], rest.vertex[:, None, :], np.full((k, 1, 4), np.nan),
            np.zeros(1, dtype=np.int64), tmp)  # fmt: skip
    kin[:, rpos] = tmp
    pdg[rpos], status[rpos], mother[rpos] = rest.pdg, rest.status, rest.mother
    detected[rpos] = False


# --- reconstructed objects -------------------------------------------------------------------


#: Object fields holding a template slot, written as an index into the row's `particles`.
_TEMPLATE_LINKS = ("particle", "clusterIndex")


def _link_map(record: EventRecord, truth: str) -> list[NDArray[np.int16]]:
    """Per block, template index → index in the written truth list (−1: not written)."""
    out = []
    for b in record.blocks:
        index = np.full(b.n_particles, -1, dtype=np.int16)
        if truth != "none":
            s = truth_slots(b, truth)
            index[s] = np.arange(len(s))
        out.append(index)
    return out


def _linked(v: NDArray, link: NDArray[np.int16], truth: str) -> NDArray:
    """Template slots (and ragged particles, index ≥ template size: written in "full" truth
    only, at the same index) → index in the written truth list; −1 stays −1."""
    out = np.where(v >= 0, link[np.clip(v, 0, link.size - 1)], -1)
    beyond = v >= link.size
    if beyond.any():
        out = np.where(beyond, v if truth == "full" else -1, out)
    return out


def objects_columns(
    record: EventRecord, reco: RecoRecord, truth: str, detail: str = DEFAULT_DETAIL
) -> dict[str, pa.Array]:
    """One list<struct> column per reconstructed-object kind (tracks, clusters, vertices);
    the expert fields (`Doc.detail` "full") only with detail = "full"."""
    links = _link_map(record, truth)
    n_events = record.n_events
    cols: dict[str, pa.Array] = {}
    kinds: list[str] = []
    for r in reco.blocks:
        kinds.extend(k for k in r.objects if k not in kinds)
    for kind in kinds:
        docs = OBJECTS[kind]
        names = [
            n
            for n, d in docs.items()
            if (n != "particle" or truth != "none") and (detail == "full" or d.detail != "full")
        ]
        parts: dict[str, list[NDArray]] = {n: [] for n in names}
        events: list[NDArray] = []
        offset = 0
        for b, r, link in zip(record.blocks, reco.blocks, links, strict=True):
            arrays = r.objects.get(kind)
            if arrays is not None and arrays["event"].size:
                events.append(arrays["event"] + offset)
                for n in names:
                    if n not in arrays:  # a field this detector card does not model
                        parts[n].append(np.full(arrays["event"].size, np.nan))
                        continue
                    v = arrays[n]
                    if n in _TEMPLATE_LINKS:  # template slot → index in the written list
                        v = _linked(v, link, truth)
                    parts[n].append(v)
            offset += b.n_events
        event = np.concatenate(events) if events else np.empty(0, dtype=np.int64)
        counts = np.bincount(event, minlength=n_events)
        offsets = np.zeros(n_events + 1, dtype=np.int32)
        np.cumsum(counts, out=offsets[1:])
        # chain._flatten writes each block's objects sorted by event, blocks in order
        order = None if np.all(event[1:] >= event[:-1]) else np.argsort(event, kind="stable")
        typ = _list_type(docs, names, False)
        arrays_out = []
        for f in typ.value_type:
            v = np.concatenate(parts[f.name]) if parts[f.name] else np.empty(0)
            bits = docs[f.name].bits
            arrays_out.append(_array(v if order is None else v[order], f.type, bits))
        struct = pa.StructArray.from_arrays(arrays_out, fields=list(typ.value_type))
        cols[kind] = pa.ListArray.from_arrays(_from_numpy(offsets), struct, type=typ)
    return cols


# --- the table -------------------------------------------------------------------------------


def chunk_table(
    record: EventRecord,
    reco: RecoRecord | None,
    truth: str = DEFAULT_TRUTH,
    detail: str = DEFAULT_DETAIL,
) -> pa.Table:
    """One chunk as an Arrow table, one row per event, typed and documented (module doc)."""
    if truth not in TRUTH_CHOICES:
        raise ValueError(f"truth = {truth!r}: choose one of {', '.join(TRUTH_CHOICES)}")
    if detail not in DETAIL_CHOICES:
        raise ValueError(f"detail = {detail!r}: choose one of {', '.join(DETAIL_CHOICES)}")
    roles = {r for b in record.blocks for r in b.roles}
    fields: list[pa.Field] = []
    arrays: list[pa.Array] = []

    def add(field: pa.Field, array: pa.Array) -> None:
        fields.append(field)
        arrays.append(array)

    add(EVENT["event_number"].field("event_number"), _from_numpy(record.event_number))
    mode = pa.DictionaryArray.from_arrays(
        _from_numpy(record.mode_index().astype(np.int32)), _strings(record.mode_names)
    )
    add(EVENT["mode"].field("mode"), mode)
    add(*_event_field("sqrt_s", record.event_column("sqrt_s"), roles))
    for name, w in record.weights().items():
        add(*_event_field(f"weight_{name}", w, roles))
    sizes = [b.n_events for b in record.blocks]
    extras: list[str] = []
    for b in record.blocks:
        extras.extend(k for k in b.extra if k not in extras and k != "sqrt_s")
    for k in extras:  # NaN where a block lacks the column
        add(*_gathered([b.extra.get(k) for b in record.blocks], sizes, k, roles))
    if reco is not None:
        names: list[str] = []
        for r in reco.blocks:
            names.extend(k for k in r.columns if k not in names)
        for k in names:  # as RecoRecord.columns: NaN (False for flags) where a block lacks it
            add(*_gathered([r.columns.get(k) for r in reco.blocks], sizes, k, roles))
    if truth != "none":
        col = particles_column(record, reco, truth)
        add(_list_field("particles", col, truth), col)
    if reco is not None:
        for kind, col in objects_columns(record, reco, truth, detail).items():
            add(_list_field(kind, col, truth), col)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _list_field(name: str, col: pa.Array, truth: str) -> pa.Field:
    desc = LIST_DOCS[name] + (f" (truth = {truth!r})" if name == "particles" else "")
    return pa.field(name, col.type, nullable=False, metadata={"unit": "", "description": desc})


def column_docs(schema: pa.Schema) -> dict[str, dict[str, object]]:
    """{column: {unit, description, type[, fields: {field: {unit, description, type}}]}}."""

    def doc(f: pa.Field) -> dict[str, object]:
        meta = {k.decode(): v.decode() for k, v in (f.metadata or {}).items()}
        out: dict[str, object] = {**meta, "type": str(f.type)}
        if pa.types.is_list(f.type):
            out["type"] = "list<struct>"
            out["fields"] = {g.name: doc(g) for g in f.type.value_type}
        return out

    return {f.name: doc(f) for f in schema}


def column_docs_json(schema: pa.Schema) -> bytes:
    """`column_docs` as the JSON stored under the file metadata key `alpsim_columns`."""
    return json.dumps(column_docs(schema), ensure_ascii=False).encode()
