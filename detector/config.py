"""Detector cards (cards/belle2.toml, ...): parsed and validated into typed settings.

Every number in a detector card carries its source (paper or basf2 file) in a comment next to it;
this module only checks that the numbers are usable, naming the field when they are not.
Sections: [detector], [beams], [tracking], [calorimeter] (required); [vertexing], [pid],
[material], [trigger.<line>], [trigger_pattern.<name>], [muon] and [background.<condition>]
(optional: without them every vertex fit succeeds, tracks are called pions, no material is
simulated, no trigger bit is written, the muon ID and trigger see no muon system and no
background can be overlaid).
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..cards import shipped_card  # noqa: F401  (re-exported: detector cards by name)
from ..generator.beams import BeamSettings, beams_from_table
from ..toml_fields import Table, load_toml

MRAD = 1e-3
#: PID species in matrix order: e, μ, π, K, p (absolute PDG ids).
PID_SPECIES = (11, 13, 211, 321, 2212)
PID_NAMES = ("e", "mu", "pi", "K", "p")


def quadrature_resolution(
    energy: np.ndarray, noise: float, stochastic: float, sampling: float, constant: float
) -> np.ndarray:
    """σ_E/E = noise/E ⊕ stochastic/E^{1/4} ⊕ sampling/√E ⊕ constant (in quadrature), for the
    whole calorimeter and for each region alike."""
    e = np.maximum(energy, 1e-6)
    return np.sqrt((noise / e) ** 2 + (stochastic / e**0.25) ** 2 + sampling**2 / e + constant**2)


@dataclass(frozen=True)
class CaloRegion:
    """One calorimeter region (barrel, an end cap): polar range, resolution terms, threshold
    and the low-side Crystal Ball tail of the energy response (tail_alpha = 0: Gaussian)."""

    name: str
    theta: tuple[float, float]  # rad, lab polar-angle coverage
    noise: float  # σ_E/E term ∝ 1/E
    stochastic: float  # σ_E/E term ∝ 1/E^{1/4}
    constant: float  # σ_E/E constant term
    energy_threshold: float  # GeV
    tail_alpha: float = 0.0  # Crystal Ball α (in σ): the tail starts α σ below the peak
    tail_n: float = 0.0  # Crystal Ball power n (> 1 when α > 0)
    sampling: float = 0.0  # σ_E/E term ∝ 1/√E
    position: tuple[float, float, float] | None = None  # mm, a + b/√E + c/E^{1/4} (None: card's)

    def relative_energy_resolution(self, energy: np.ndarray) -> np.ndarray:
        """σ_E/E = noise/E ⊕ stochastic/E^{1/4} ⊕ sampling/√E ⊕ constant (in quadrature)."""
        return quadrature_resolution(energy, self.noise, self.stochastic, self.sampling,
                                     self.constant)  # fmt: skip


@dataclass(frozen=True)
class CalorimeterSettings:
    """Electromagnetic calorimeter: a cylinder with end caps, resolution and acceptance.

    The top-level resolution terms and threshold are the defaults of every region; `regions`
    (built by the card parser from [calorimeter.theta_regions] and the optional
    [calorimeter.region.<name>] overrides) hold what each region really uses. With a crystal
    size and Molière radius, clusters merge by shower overlap (detector/showershape.py);
    otherwise by `merging_distance`.
    """

    inner_radius: float  # mm, barrel front face
    z_forward: float  # mm, forward end-cap front face
    z_backward: float  # mm, backward end-cap front face (negative)
    theta_regions: tuple[tuple[float, float], ...]  # rad, lab polar-angle coverage
    noise: float  # σ_E/E term ∝ 1/E
    stochastic: float  # σ_E/E term ∝ 1/E^{1/4} (CsI(Tl) parametrisation)
    constant: float  # σ_E/E constant term
    position_resolution: tuple[float, float, float]  # mm: a + b/√E + c/E^{1/4}
    energy_threshold: float  # GeV
    efficiency: float = 1.0  # cluster-finding plateau efficiency
    efficiency_turn_on: float = 0.0  # GeV: ε(E) = plateau (1 − exp(−E/turn_on))
    merging_distance: float = 0.0  # mm on the front face: closer clusters merge
    mip_energy: float = 0.2  # GeV deposited by a minimum-ionising particle
    mip_spread: float = 0.1  # relative Gaussian spread of the MIP deposit
    hadronic_interaction: float = 0.0  # probability that a hadron showers
    regions: tuple[CaloRegion, ...] = ()
    tail_alpha: float = 0.0  # default Crystal Ball α of the regions
    tail_n: float = 0.0  # default Crystal Ball n of the regions
    sampling: float = 0.0  # default σ_E/E term ∝ 1/√E of the regions
    crystal_size: float = 0.0  # mm, crystal front-face width (0: no shower-overlap model)
    moliere_radius: float = 0.0  # mm, of the crystal material
    crystal_depth: float = 16.0  # radiation lengths
    critical_energy: float = 0.0112  # GeV, of the crystal material
    effective_z: float = 54.0  # of the crystal material (Grindhammer–Peters Z)
    local_maximum_energy: float = 0.010  # GeV: a crystal must exceed this to seed a shower
    digit_threshold: float = 0.0005  # GeV: crystals counted in clusterNHits
    hadron_visible_fraction: float = 1.0  # mean visible fraction of a hadron's kinetic energy
    neutral_hadrons: bool = False  # K_L and neutrons leave calorimeter deposits
    split_off_probability: float = 0.0  # a hadron shower throws a split-off cluster
    split_off_fraction: float = 0.2  # mean fraction of the shower's deposit in the split-off
    split_off_distance: float = 200.0  # mm, mean distance of the split-off on the front face

    def region_list(self) -> tuple[CaloRegion, ...]:
        """The regions, or one per theta range with the top-level terms if none were given."""
        if self.regions:
            return self.regions
        return tuple(
            CaloRegion(f"region{i}", th, self.noise, self.stochastic, self.constant,
                       self.energy_threshold, self.tail_alpha, self.tail_n, self.sampling)
            for i, th in enumerate(self.theta_regions)
        )  # fmt: skip

    def region_index(self, theta: np.ndarray) -> np.ndarray:
        """Index of the region whose polar range holds θ (in a gap, the nearest one in cos θ,
        as calo_kernel.smear_deposits chooses)."""
        regs = self.region_list()
        c_lo = np.cos([r.theta[0] for r in regs])
        c_hi = np.cos([r.theta[1] for r in regs])
        c = np.cos(np.asarray(theta, dtype=float))[..., None]
        dist = np.maximum(c - c_lo, 0.0) + np.maximum(c_hi - c, 0.0)
        return np.argmin(dist, axis=-1)

    def relative_energy_resolution(
        self, energy: np.ndarray, theta: np.ndarray | None = None
    ) -> np.ndarray:
        """σ_E/E of the Gaussian core: the top-level terms, or the region's at polar angle θ."""
        if theta is None:
            return quadrature_resolution(energy, self.noise, self.stochastic, self.sampling,
                                         self.constant)  # fmt: skip
        regs = self.region_list()
        idx = self.region_index(theta)
        out = np.empty(np.broadcast(energy, idx).shape)
        e, idx = np.broadcast_arrays(np.asarray(energy, dtype=float), idx)
        for i, r in enumerate(regs):
            m = idx == i
            out[m] = r.relative_energy_resolution(e[m])
        return out

    def position_sigma(self, energy: np.ndarray, theta: np.ndarray | None = None) -> np.ndarray:
        """Cluster position resolution in mm on the calorimeter surface: the top-level terms,
        or those of the region at polar angle θ."""
        e = np.maximum(np.asarray(energy, dtype=float), 1e-6)
        if theta is None:
            a, b, c = self.position_resolution
            return a + b / np.sqrt(e) + c / e**0.25
        terms = np.array([r.position or self.position_resolution for r in self.region_list()])
        a, b, c = terms[self.region_index(theta)].T
        return a + b / np.sqrt(e) + c / e**0.25

    def cluster_efficiency(self, energy: np.ndarray) -> np.ndarray:
        """ε(E) = plateau · (1 − exp(−E/turn_on)) (plateau alone if turn_on = 0)."""
        if self.efficiency_turn_on <= 0.0:
            return np.full(np.shape(energy), self.efficiency)
        return self.efficiency * -np.expm1(-np.maximum(energy, 0.0) / self.efficiency_turn_on)

    @property
    def shower_model(self) -> bool:
        """Clusters merge by shower overlap in the crystals (crystal size and R_M given)."""
        return self.crystal_size > 0.0 and self.moliere_radius > 0.0


@dataclass(frozen=True)
class TrackingSettings:
    """Tracker: field, layers (silicon + drift-chamber superlayers), efficiency, resolution.

    Each layer is a cylinder whose length is set by the polar acceptance `theta_range` seen
    from the IP (conical ends, as a drift chamber's end plates). A drift-chamber superlayer
    stands for `weight` wire layers at its mean radius; the first `n_silicon` layers are
    silicon. Resolutions of the five helix parameters (d0, φ0, ω, z0, tanλ), each
    a ⊕ b/(pβ sin^kθ) (tracking.py). Displaced-track finding follows ONE model,
    `efficiency_model`: "layers" (hits required per sub-detector, efficiency rising with the
    drift-chamber layers crossed) or "table" (ε(r) at the production radius).
    """

    field: float  # T, along +z
    theta_range: tuple[float, float]  # rad
    beam_pipe_radius: float  # mm
    layer_radii: tuple[float, ...]  # mm, increasing
    layer_weights: tuple[int, ...]  # wire/sensor layers each entry stands for
    layer_resolution: tuple[float, ...]  # mm, single-hit resolution of each layer
    pt_resolution: tuple[float, float]  # σ_pT/pT = a·pT ⊕ b/β (pT in GeV)
    d0_resolution: tuple[float, float]  # mm: σ = a ⊕ b/(p β sin^{3/2}θ), b in GeV mm
    z0_resolution: tuple[float, float]  # mm: σ = a ⊕ b/(p β sin^{5/2}θ)
    min_pt: float  # GeV
    pt_turn_on: float  # GeV: ε ∝ 1 − exp(−(pT − min_pt)/pt_turn_on)
    efficiency: float  # plateau
    min_drift_hits: int  # fewer drift-chamber wire layers crossed: no track
    full_drift_hits: int  # "layers" model: efficiency rises linearly up to this many
    phi0_resolution: tuple[float, float] = (0.0, 0.0)  # rad: a ⊕ b/(p β sin^{3/2}θ)
    tanlambda_resolution: tuple[float, float] = (0.0, 0.0)  # a ⊕ b/(p β sin^{5/2}θ)
    n_silicon: int = 0  # the first n_silicon layers are silicon
    min_silicon_hits: int = 0  # fewer silicon layers crossed: no track
    efficiency_model: str = "layers"  # "layers" or "table"
    efficiency_radii: tuple[float, ...] = (0.0,)  # mm, "table" model: production radius
    efficiency_table: tuple[float, ...] = (1.0,)  # "table" model: ε(r), 0 beyond the last
    cluster_match_distance: float = 100.0  # mm on the calorimeter front face
    pt_resolution_over_beta: bool = True  # False: σ_pT/pT = a·pT ⊕ b (constant term)

    @property
    def inner_radius(self) -> float:
        return self.layer_radii[0]

    @property
    def outer_radius(self) -> float:
        return self.layer_radii[-1]

    def relative_pt_resolution(self, pt: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """σ_pT/pT of a track from the IP crossing every layer."""
        a, b = self.pt_resolution
        b_term = b / beta if self.pt_resolution_over_beta else b + 0.0 * beta
        return np.sqrt((a * pt) ** 2 + b_term**2)

    @functools.cached_property
    def kernel_arrays(self) -> tuple:
        """The arrays helix_kernel.track_kernel reads, built once per card: layer radii,
        weights, resolutions, the acceptance cones (cot θ) and the response parameters."""
        resp = np.array(
            [self.min_pt, self.pt_turn_on, self.efficiency, *self.pt_resolution,
             *self.d0_resolution, *self.z0_resolution, *self.phi0_resolution,
             *self.tanlambda_resolution, 1.0 if self.pt_resolution_over_beta else 0.0],
            dtype=float,
        )  # fmt: skip
        hits = np.array([self.min_silicon_hits, self.min_drift_hits, self.full_drift_hits])
        return (
            np.asarray(self.layer_radii, dtype=float),
            np.asarray(self.layer_weights, dtype=np.int64),
            np.asarray(self.layer_resolution, dtype=float),
            1.0 / np.tan(self.theta_range[1]),
            1.0 / np.tan(self.theta_range[0]),
            resp,
            hits.astype(np.int64),
        )

    def findable_radius(self) -> float:
        """Largest production radius from which a radial track still crosses
        `min_drift_hits` drift-chamber wire layers (and `min_silicon_hits` silicon layers)."""
        w = np.asarray(self.layer_weights[self.n_silicon :])
        radii = np.asarray(self.layer_radii[self.n_silicon :])
        after = np.cumsum(w[::-1])[::-1]  # wire layers at or beyond each superlayer
        ok = after >= self.min_drift_hits
        r_max = float(radii[ok][-1]) if ok.any() else 0.0
        if self.min_silicon_hits > 0:
            r_max = min(r_max, float(self.layer_radii[self.n_silicon - self.min_silicon_hits]))
        return r_max

    def table_efficiency_at(self, r: np.ndarray) -> np.ndarray:
        """The "table" model's ε(r) (linear interpolation, 0 beyond the last radius)."""
        return np.interp(r, self.efficiency_radii, self.efficiency_table, right=0.0)


@dataclass(frozen=True)
class VertexSettings:
    """Vertex fit of two or more tracks (vertexing.py): the fit exists when at least two of
    the tracks are found and its χ² probability is at least `min_chi_prob`."""

    min_chi_prob: float = 0.0


@dataclass(frozen=True)
class PidRegion:
    """PID rates in one polar-angle region: matrix[p bin, true species, assigned species]."""

    theta: tuple[float, float]  # rad
    matrix: NDArray[np.float64]  # (n_p, 5, 5), rows sum to 1
    charge: int = 0  # +1 / -1: only tracks of that charge; 0: both


@dataclass(frozen=True)
class PidSettings:
    """Efficiency and mis-ID matrices versus momentum bins and polar-angle regions."""

    momentum_edges: tuple[float, ...] = (0.0, np.inf)
    regions: tuple[PidRegion, ...] = ()


@dataclass(frozen=True)
class TriggerLine:
    """One trigger line: all given conditions on reconstructed objects must hold.

    Thresholds turn on as error functions: an object passes a threshold x0 of width w with
    probability ½(1 + erf((x − x0)/(√2 w))) (w = 0: a sharp cut). `prescale` keeps one event
    in `prescale` of those that fire; `vetoes` name [trigger_pattern.<name>] conditions that
    suppress the line, `patterns` those it requires.
    """

    name: str
    tracks: int = 0  # at least this many tracks passing track_pt, track_p, track_theta
    max_tracks: int | None = None
    track_pt: float = 0.0
    track_p: float = 0.0
    track_theta: tuple[float, float] = (0.0, np.pi)
    opening_angle: float = 0.0  # rad, largest transverse opening between two such tracks
    clusters: int = 0  # at least this many clusters passing cluster_energy, cluster_theta
    max_clusters: int | None = None
    cluster_energy: float = 0.0
    cluster_frame: str = "lab"
    cluster_theta: tuple[float, float] = (0.0, np.pi)
    energy_sum: float = 0.0  # GeV, lab sum of the clusters inside energy_sum_theta
    max_energy_sum: float = np.inf
    muons: int = 0  # tracks with muon-system hits (muonid) and p > muon_p
    muon_p: float = 0.0
    track_width: float = 0.0  # GeV, turn-on width of the track_pt and track_p thresholds
    cluster_width: float = 0.0  # GeV, turn-on width of the cluster_energy threshold
    energy_sum_width: float = 0.0  # GeV, turn-on width of the energy_sum threshold
    energy_sum_theta: tuple[float, float] = (0.0, np.pi)
    other_clusters: int = 0  # at least / at most this many clusters anywhere with lab
    max_other_clusters: int | None = None  # E > other_cluster_energy (a second count)
    other_cluster_energy: float = 0.0
    prescale: int = 1
    vetoes: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class TriggerPattern:
    """A back-to-back cluster pair in the CM frame (e.g. the ECL 3D Bhabha veto or selection):
    both clusters above energy_low, one above energy_high (CM energies), the CM azimuthal
    difference in delta_phi and the sum of CM polar angles in theta_sum."""

    name: str
    energy_low: float  # GeV
    energy_high: float  # GeV
    delta_phi: tuple[float, float]  # rad
    theta_sum: tuple[float, float]  # rad


@dataclass(frozen=True)
class MuonSettings:
    """Muon system (KLM / IFR / MUC): layers of detectors between absorber plates outside the
    solenoid coil. A track reaches it if it leaves the coil (pT above the curling limit at
    `coil_radius`) with kinetic energy left after `energy_loss`; it then crosses as many
    layers as its range in the absorber allows (see detector/muonid.py)."""

    coil_radius: float  # mm, tracks must reach this radius to leave the solenoid
    theta_range: tuple[float, float]  # rad, polar coverage
    layers: int  # detector layers (the first one in front of the absorber)
    absorber: float  # mm of absorber between two layers (normal incidence)
    energy_loss: float  # GeV lost by a muon in front of the first layer (calorimeter, coil)
    absorber_dedx: float  # GeV/mm, muon energy loss in the absorber
    interaction_length: float  # mm, nuclear interaction length of the absorber (hadrons)
    hadron_survival: float  # probability a hadron crosses the calorimeter + coil unabsorbed
    min_layers: int  # layers with hits for a track match (trigger, muon ID)


@dataclass(frozen=True)
class BackgroundCondition:
    """Beam-background overlay of one machine condition: Poisson multiplicities per event of
    background clusters and tracks with exponential energy / pT spectra (detector/background.py)."""

    name: str
    photons: float  # mean number of background clusters per event
    photon_energy: tuple[float, float]  # GeV: minimum and exponential slope
    photon_theta_edges: tuple[float, ...]  # rad, bins of the polar angle (uniform in cos θ)
    photon_theta_weights: tuple[float, ...]  # relative rate per bin
    tracks: float  # mean number of background tracks per event
    track_pt: tuple[float, float]  # GeV: minimum and exponential slope
    track_d0: float  # mm, Gaussian spread of the impact parameter
    track_z0: float  # mm, Gaussian spread of z0
    scale: float = 1.0  # multiplicity scale (run card [background] scale)


#: Kinds of material layer. Photons convert and electrons radiate in every kind but
#: "calorimeter_front" (material between the tracker and the calorimeter: a pair or a photon made
#: there showers in the same crystals, and the calorimeter card's response is measured with it).
MATERIAL_KINDS = (
    "beam_pipe",
    "vertex_detector",
    "drift_chamber_wall",
    "drift_chamber_gas",
    "calorimeter_front",
)


@dataclass(frozen=True)
class MaterialLayer:
    """A thin cylinder of material: radius, z extent and thickness in radiation lengths at
    normal incidence; crossed at an angle, the traversed thickness is x/X0 over the cosine of
    the angle between the direction and the cylinder's normal."""

    name: str
    kind: str  # one of MATERIAL_KINDS
    radius: float  # mm
    z_range: tuple[float, float]  # mm
    x_over_x0: float  # thickness at normal incidence, radiation lengths
    source: str

    @property
    def interacting(self) -> bool:
        """Photons convert and electrons radiate here (see MATERIAL_KINDS)."""
        return self.kind != "calorimeter_front"


@dataclass(frozen=True)
class MaterialSettings:
    """The material budget (cylinders ordered in radius) and what the material stage does."""

    enabled: bool = False
    layers: tuple[MaterialLayer, ...] = ()
    conversions: bool = True
    bremsstrahlung: bool = True
    brems_min_energy: float = 0.001  # GeV: lighter bremsstrahlung photons are not made

    def total_x0(self, kinds: tuple[str, ...] = MATERIAL_KINDS) -> float:
        """Σ x/X0 at normal incidence over the layers of the given kinds."""
        return float(sum(layer.x_over_x0 for layer in self.layers if layer.kind in kinds))


@dataclass(frozen=True)
class DetectorSettings:
    """One experiment: beams, field and the settings of each detector stage."""

    name: str
    path: str
    text: str
    solenoid_field: float  # T
    beams: BeamSettings
    calorimeter: CalorimeterSettings
    tracking: TrackingSettings
    vertexing: VertexSettings = field(default_factory=VertexSettings)
    pid: PidSettings = field(default_factory=PidSettings)
    trigger: tuple[TriggerLine, ...] = ()
    material: MaterialSettings = field(default_factory=MaterialSettings)
    trigger_patterns: tuple[TriggerPattern, ...] = ()
    muon: MuonSettings | None = None
    background_conditions: tuple[BackgroundCondition, ...] = ()
    background: BackgroundCondition | None = None  # the overlay switched on by the run card


def _angle_range(t: Table, key: str, default: Any = None) -> tuple[float, float]:
    if default is not None and not t.has(key):
        t.raw(key, None)
        return default
    lo, hi = t.numbers(key, 2, lo=0.0, unit="deg")
    if not lo < hi <= 180.0:
        raise t.error(key, f"= [{lo:g}, {hi:g}] must satisfy 0 <= low < high <= 180 degrees")
    return float(np.radians(lo)), float(np.radians(hi))


def _number_list(t: Table, key: str, lo: float | None = None, increasing: bool = False) -> list:
    value = t.raw(key)
    if not isinstance(value, list) or not value:
        raise t.error(key, f"= {value!r} must be a non-empty array of numbers")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
            raise t.error(key, f"= {value!r}: every entry must be a finite number")
        if lo is not None and v < lo:
            raise t.error(key, f"= {value!r}: every entry must be >= {lo:g}")
    if increasing and any(b <= a for a, b in itertools.pairwise(value)):
        raise t.error(key, f"= {value!r} must be strictly increasing")
    return [float(v) for v in value]


_REGION_KEYS = ("noise_term", "stochastic_term", "sampling_term", "constant_term",
                "energy_threshold", "tail_alpha", "tail_n", "position_resolution")  # fmt: skip


def _tail(t: Table, alpha_default: float, n_default: float) -> tuple[float, float]:
    alpha = t.number("tail_alpha", alpha_default, lo=0.0, hi=10.0)
    n = t.number("tail_n", n_default, lo=0.0, hi=100.0)
    if alpha > 0.0 and not n > 1.0:
        raise t.error("tail_n", f"= {n:g}: a Crystal Ball tail (tail_alpha > 0) needs n > 1")
    return alpha, n


def _calorimeter(t: Table) -> CalorimeterSettings:
    regions_table = t.table("theta_regions")
    names = list(regions_table.data)
    ranges = [_angle_range(regions_table, k) for k in names]
    regions_table.done()
    if not ranges:
        raise t.error("theta_regions", "needs at least one polar-angle region")
    order = np.argsort([r[0] for r in ranges])
    for a, b in itertools.pairwise(order):
        if ranges[b][0] < ranges[a][1]:
            raise t.error(
                "theta_regions",
                f"regions '{names[a]}' {np.degrees(ranges[a]).round(2).tolist()} and "
                f"'{names[b]}' {np.degrees(ranges[b]).round(2).tolist()} deg overlap: regions "
                "must tile the acceptance without overlap",
            )
    eff = t.numbers("photon_efficiency", 2, (1.0, 0.0), lo=0.0)
    if eff[0] > 1.0:
        raise t.error("photon_efficiency", f"= {list(eff)!r}: plateau must be <= 1")
    noise = t.number("noise_term", lo=0.0, hi=1.0)
    stochastic = t.number("stochastic_term", lo=0.0, hi=1.0)
    constant = t.number("constant_term", lo=0.0, hi=1.0)
    sampling = t.number("sampling_term", 0.0, lo=0.0, hi=1.0)
    threshold = t.number("energy_threshold", lo=0.0, hi=10.0, unit="GeV")
    alpha, n_tail = _tail(t, 0.0, 0.0)
    overrides = t.table("region", {})
    unknown = set(overrides.data) - set(names)
    if unknown:
        raise overrides.error(
            sorted(unknown)[0], f"is not a region of [calorimeter.theta_regions] ({names})"
        )
    regions = []
    for name, th in zip(names, ranges, strict=True):
        r = overrides.table(name, {})
        r.only(*_REGION_KEYS)
        ra, rn = _tail(r, alpha, n_tail)
        regions.append(
            CaloRegion(
                name=name,
                theta=th,
                noise=r.number("noise_term", noise, lo=0.0, hi=1.0),
                stochastic=r.number("stochastic_term", stochastic, lo=0.0, hi=1.0),
                constant=r.number("constant_term", constant, lo=0.0, hi=1.0),
                energy_threshold=r.number(
                    "energy_threshold", threshold, lo=0.0, hi=10.0, unit="GeV"
                ),
                tail_alpha=ra,
                tail_n=rn,
                sampling=r.number("sampling_term", sampling, lo=0.0, hi=1.0),
                position=r.numbers("position_resolution", 3, None, lo=0.0, unit="mm"),
            )
        )
        r.done()
    overrides.done()
    crystal = t.number("crystal_size", 0.0, lo=0.0, hi=500.0, unit="mm")
    moliere = t.number("moliere_radius", 0.0, lo=0.0, hi=500.0, unit="mm")
    if (crystal > 0.0) != (moliere > 0.0):
        key = "moliere_radius" if crystal > 0.0 else "crystal_size"
        raise t.error(key, "crystal_size and moliere_radius must be given together (> 0)")
    cal = CalorimeterSettings(
        inner_radius=t.number("inner_radius", lo=0.0, lo_open=True, unit="mm"),
        z_forward=t.number("z_forward", lo=0.0, lo_open=True, unit="mm"),
        z_backward=t.number("z_backward", hi=0.0, hi_open=True, unit="mm"),
        theta_regions=tuple(ranges),
        noise=noise,
        stochastic=stochastic,
        constant=constant,
        position_resolution=t.numbers("position_resolution", 3, lo=0.0, unit="mm"),
        energy_threshold=threshold,
        efficiency=eff[0],
        efficiency_turn_on=eff[1],
        merging_distance=t.number("merging_distance", 0.0, lo=0.0, hi=1000.0, unit="mm"),
        mip_energy=t.number("mip_energy", 0.2, lo=0.0, hi=2.0, unit="GeV"),
        mip_spread=t.number("mip_spread", 0.1, lo=0.0, hi=1.0),
        hadronic_interaction=t.number("hadronic_interaction_probability", 0.0, lo=0.0, hi=1.0),
        regions=tuple(regions),
        tail_alpha=alpha,
        tail_n=n_tail,
        sampling=sampling,
        crystal_size=crystal,
        moliere_radius=moliere,
        crystal_depth=t.number("crystal_depth", 16.0, lo=1.0, hi=40.0, unit="X0"),
        critical_energy=t.number(
            "critical_energy", 0.0112, lo=1e-3, lo_open=False, hi=0.1, unit="GeV"
        ),
        effective_z=t.number("effective_z", 54.0, lo=1.0, hi=100.0),
        local_maximum_energy=t.number("local_maximum_energy", 0.010, lo=0.0, hi=1.0, unit="GeV"),
        digit_threshold=t.number("digit_threshold", 0.0005, lo=0.0, hi=1.0, unit="GeV"),
        hadron_visible_fraction=t.number(
            "hadron_visible_fraction", 1.0, lo=0.0, lo_open=True, hi=1.0
        ),
        neutral_hadrons=t.boolean("neutral_hadrons", False),
        split_off_probability=t.number("split_off_probability", 0.0, lo=0.0, hi=1.0),
        split_off_fraction=t.number("split_off_fraction", 0.2, lo=0.0, hi=0.5),
        split_off_distance=t.number(
            "split_off_distance", 200.0, lo=0.0, lo_open=True, hi=2000.0, unit="mm"
        ),
    )
    t.done()
    return cal


def _resolution(t: Table, key: str, unit: str, default=None) -> tuple[float, float]:
    if default is not None and not t.has(key):
        return default
    return t.numbers(key, 2, lo=0.0, unit=unit)


def _tracking(t: Table, field_t: float) -> TrackingSettings:
    pipe = t.number("beam_pipe_radius", lo=0.0, lo_open=True, unit="mm")
    silicon = _number_list(t, "silicon_radii", lo=0.0, increasing=True)
    if silicon[0] <= pipe:
        raise t.error("silicon_radii", f"= {silicon!r}: first layer must lie outside the pipe")
    si_res = t.number("silicon_resolution", lo=0.0, lo_open=True, unit="mm")
    dc_in = t.number("drift_inner_radius", lo=silicon[-1], lo_open=True, unit="mm")
    dc_out = t.number("drift_outer_radius", lo=dc_in, lo_open=True, unit="mm")
    n_layers = t.number("drift_layers", lo=1, hi=500, integer=True)
    n_super = t.number("drift_superlayers", lo=1, hi=n_layers, integer=True)
    dc_res = t.number("drift_resolution", lo=0.0, lo_open=True, unit="mm")
    edges = np.linspace(dc_in, dc_out, n_super + 1)
    weights = np.diff(np.round(np.linspace(0, n_layers, n_super + 1)).astype(int))
    eff = t.number("efficiency", lo=0.0, hi=1.0)
    min_si = t.number("min_silicon_hits", 0, lo=0, hi=len(silicon), integer=True)
    min_dc = t.number("min_drift_hits", lo=1, hi=n_layers, integer=True)
    model = t.string("efficiency_model", choices=("layers", "table"))
    if model == "layers":
        full = t.number("full_efficiency_drift_hits", lo=min_dc, hi=n_layers, integer=True)
        for key in ("efficiency_radii", "efficiency_table"):
            if t.has(key):
                raise t.error(key, "belongs to efficiency_model = 'table', not 'layers' "
                              "(one displaced-track model, never both)")  # fmt: skip
        radii, table = (0.0,), (1.0,)
    else:
        if t.has("full_efficiency_drift_hits"):
            raise t.error("full_efficiency_drift_hits", "belongs to efficiency_model = 'layers'"
                          ", not 'table' (one displaced-track model, never both)")  # fmt: skip
        full = min_dc
        radii = tuple(_number_list(t, "efficiency_radii", lo=0.0, increasing=True))
        table = tuple(_number_list(t, "efficiency_table", lo=0.0))
        if len(table) != len(radii) or max(table) > 1.0:
            raise t.error("efficiency_table", f"= {list(table)!r}: one value in [0, 1] per "
                          f"entry of efficiency_radii ({len(radii)})")  # fmt: skip
    trk = TrackingSettings(
        field=field_t,
        theta_range=_angle_range(t, "theta_range"),
        beam_pipe_radius=pipe,
        layer_radii=(*silicon, *(float(r) for r in 0.5 * (edges[:-1] + edges[1:]))),
        layer_weights=(*([1] * len(silicon)), *(int(w) for w in weights)),
        layer_resolution=(*([si_res] * len(silicon)), *([dc_res] * n_super)),
        pt_resolution=t.numbers("pt_resolution", 2, lo=0.0),
        pt_resolution_over_beta=t.boolean("pt_resolution_over_beta"),
        d0_resolution=_resolution(t, "d0_resolution", "mm"),
        z0_resolution=_resolution(t, "z0_resolution", "mm"),
        phi0_resolution=_resolution(t, "phi0_resolution", "rad"),
        tanlambda_resolution=_resolution(t, "tanlambda_resolution", ""),
        min_pt=t.number("min_pt", lo=0.0, hi=10.0, unit="GeV"),
        pt_turn_on=t.number("pt_turn_on", lo=0.0, lo_open=True, hi=10.0, unit="GeV"),
        efficiency=eff,
        min_drift_hits=min_dc,
        full_drift_hits=full,
        n_silicon=len(silicon),
        min_silicon_hits=min_si,
        efficiency_model=model,
        efficiency_radii=radii,
        efficiency_table=table,
        cluster_match_distance=t.number(
            "cluster_match_distance", lo=0.0, lo_open=True, hi=1000.0, unit="mm"
        ),
    )
    if model == "table":
        r_find = trk.findable_radius()
        beyond = [(r, e) for r, e in zip(radii, table, strict=True) if r >= r_find and e > 0]
        if beyond:
            raise t.error("efficiency_table", f"= {list(table)!r}: must be 0 from r = "
                          f"{r_find:g} mm on, where a track crosses fewer than min_drift_hits "
                          f"= {min_dc} drift-chamber layers (found: {beyond!r})")  # fmt: skip
    t.done()
    return trk


def _vertexing(t: Table) -> VertexSettings:
    v = VertexSettings(min_chi_prob=t.number("min_chi_prob", 0.0, lo=0.0, hi=1.0))
    t.done()
    return v


def _material(t: Table, calorimeter_radius: float) -> MaterialSettings:
    """[material]: `enabled`, `conversions`, `bremsstrahlung`, `brems_min_energy` (GeV) and
    `layers`, an array of tables {name, kind, radius (mm), z = [min, max] (mm), x_over_x0,
    source}, strictly increasing in radius and inside the calorimeter."""
    if not t.data:
        t.done()
        return MaterialSettings()
    raw = t.raw("layers")
    if not isinstance(raw, list) or not raw:
        raise t.error("layers", f"= {raw!r} must be a non-empty array of tables (one per layer)")
    layers = []
    for i, entry in enumerate(raw):
        e = Table(entry, f"{t.field('layers')}[{i}]", t.source)
        name = e.string("name")
        kind = e.string("kind", choices=MATERIAL_KINDS)
        radius = e.number("radius", lo=0.0, lo_open=True, unit="mm")
        if layers and radius <= layers[-1].radius:
            raise e.error(
                "radius",
                f"= {radius:g} mm must be larger than the previous layer's "
                f"{layers[-1].radius:g} mm: layers are listed in increasing radius",
            )
        if radius >= calorimeter_radius:
            raise e.error(
                "radius",
                f"= {radius:g} mm must lie inside the calorimeter (inner_radius = "
                f"{calorimeter_radius:g} mm)",
            )
        z_lo, z_hi = (float(v) for v in e.numbers("z", 2, unit="mm"))
        if not z_lo < z_hi:
            raise e.error("z", f"= [{z_lo:g}, {z_hi:g}] must have z_min < z_max (mm)")
        x0 = e.number("x_over_x0", lo=0.0, hi=1.0)
        source = e.string("source")
        if not source.strip():
            raise e.error("source", "must name where the layer's numbers come from")
        e.done()
        layers.append(MaterialLayer(name, kind, radius, (z_lo, z_hi), x0, source))
    m = MaterialSettings(
        enabled=t.boolean("enabled", True),
        layers=tuple(layers),
        conversions=t.boolean("conversions", True),
        bremsstrahlung=t.boolean("bremsstrahlung", True),
        brems_min_energy=t.number("brems_min_energy", 0.001, lo=0.0, hi=1.0, unit="GeV"),
    )
    t.done()
    return m


def _pid(t: Table) -> PidSettings:
    if not t.data:
        t.done()
        return PidSettings()
    edges = _number_list(t, "momentum_bins", lo=0.0, increasing=True)
    if len(edges) < 2:
        raise t.error("momentum_bins", "needs at least two edges")
    n_p = len(edges) - 1
    regions_t = t.table("regions")
    regions = []
    for name in list(regions_t.data):
        r = regions_t.table(name)
        theta = _angle_range(r, "theta")
        charge = r.number("charge", 0, lo=-1, hi=1, integer=True)
        matrix = np.empty((n_p, 5, 5))
        for i, sp in enumerate(PID_NAMES):
            rows = r.raw(sp)
            arr = np.asarray(rows, dtype=float) if isinstance(rows, list) else np.empty(0)
            if arr.shape != (n_p, 5) or not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise r.error(
                    sp,
                    f"= {rows!r} must be {n_p} rows (momentum bins) of 5 probabilities "
                    f"(assigned e, mu, pi, K, p)",
                )
            if np.any(np.abs(arr.sum(axis=1) - 1.0) > 1e-6):
                raise r.error(sp, f"= {rows!r}: each row must sum to 1")
            matrix[:, i, :] = arr
        r.done()
        regions.append(PidRegion(theta, matrix, charge))
    _check_tiling(regions_t, regions)
    regions_t.done()
    t.done()
    return PidSettings(tuple(edges), tuple(regions))


def _check_tiling(t: Table, regions: list[PidRegion]) -> None:
    """PID regions of each charge (a charge-blind region counts for both) must not overlap
    and must leave no gap between the first and the last (they tile one polar range)."""
    for q in (1, -1):
        mine = sorted(
            ((r.theta, n) for n, r in zip(t.data, regions, strict=True) if r.charge in (0, q)),
        )
        for (a, na), (b, nb) in itertools.pairwise(mine):
            if b[0] < a[1] - 1e-12:
                raise t.error(nb, f"theta overlaps region '{na}' (charge {q:+d} tracks)")
            if b[0] > a[1] + 1e-12:
                raise t.error(nb, f"theta leaves a gap after region '{na}' (charge {q:+d})")


def _trigger(t: Table, veto_names: tuple[str, ...] = ()) -> tuple[TriggerLine, ...]:
    lines = []
    for name in list(t.data):
        s = t.table(name)
        mt = s.number("max_tracks", -1, lo=0, integer=True)
        mc = s.number("max_clusters", -1, lo=0, integer=True)
        mo = s.number("max_other_clusters", -1, lo=0, integer=True)
        names = {}
        for key in ("vetoes", "patterns"):
            names[key] = s.raw(key, [])
            if not isinstance(names[key], list) or any(v not in veto_names for v in names[key]):
                allowed = ", ".join(veto_names) or "none (no [trigger_pattern.<name>] in the card)"
                raise s.error(key, f"= {names[key]!r}: each entry must be one of {allowed}")
        line = TriggerLine(
            name=name,
            tracks=s.number("tracks", 0, lo=0, hi=100, integer=True),
            max_tracks=None if mt < 0 else mt,
            track_pt=s.number("track_pt", 0.0, lo=0.0, unit="GeV"),
            track_p=s.number("track_p", 0.0, lo=0.0, unit="GeV"),
            track_theta=_angle_range(s, "track_theta", (0.0, np.pi)),
            opening_angle=np.radians(s.number("opening_angle", 0.0, lo=0.0, hi=180.0)),
            clusters=s.number("clusters", 0, lo=0, hi=100, integer=True),
            max_clusters=None if mc < 0 else mc,
            cluster_energy=s.number("cluster_energy", 0.0, lo=0.0, unit="GeV"),
            cluster_frame=s.string("cluster_frame", "lab", choices=("lab", "cms")),
            cluster_theta=_angle_range(s, "cluster_theta", (0.0, np.pi)),
            energy_sum=s.number("energy_sum", 0.0, lo=0.0, unit="GeV"),
            max_energy_sum=s.number("max_energy_sum", np.inf, lo=0.0, unit="GeV"),
            muons=s.number("muons", 0, lo=0, hi=100, integer=True),
            muon_p=s.number("muon_p", 0.0, lo=0.0, unit="GeV"),
            track_width=s.number("track_width", 0.0, lo=0.0, hi=5.0, unit="GeV"),
            cluster_width=s.number("cluster_width", 0.0, lo=0.0, hi=5.0, unit="GeV"),
            energy_sum_width=s.number("energy_sum_width", 0.0, lo=0.0, hi=5.0, unit="GeV"),
            energy_sum_theta=_angle_range(s, "energy_sum_theta", (0.0, np.pi)),
            other_clusters=s.number("other_clusters", 0, lo=0, hi=100, integer=True),
            max_other_clusters=None if mo < 0 else mo,
            other_cluster_energy=s.number("other_cluster_energy", 0.0, lo=0.0, unit="GeV"),
            prescale=s.number("prescale", 1, lo=1, hi=10**6, integer=True),
            vetoes=tuple(names["vetoes"]),
            patterns=tuple(names["patterns"]),
        )
        for lo_key, hi_key, lo, hi in (
            ("tracks", "max_tracks", line.tracks, line.max_tracks),
            ("clusters", "max_clusters", line.clusters, line.max_clusters),
            ("other_clusters", "max_other_clusters", line.other_clusters, line.max_other_clusters),
        ):
            if hi is not None and hi < lo:
                raise s.error(hi_key, f"= {hi} must be >= {lo_key} = {lo}")
        if line.max_energy_sum <= line.energy_sum:
            raise s.error("max_energy_sum", f"= {line.max_energy_sum:g} must be > energy_sum")
        s.done()
        lines.append(line)
    t.done()
    return tuple(lines)


def _trigger_patterns(t: Table) -> tuple[TriggerPattern, ...]:
    vetoes = []
    for name in list(t.data):
        s = t.table(name)
        lo_e = s.number("energy_low", lo=0.0, lo_open=True, hi=20.0, unit="GeV")
        hi_e = s.number("energy_high", lo=lo_e, hi=20.0, unit="GeV")
        dphi = s.numbers("delta_phi", 2, lo=0.0, unit="deg")
        tsum = s.numbers("theta_sum", 2, lo=0.0, unit="deg")
        for key, (a, b) in (("delta_phi", dphi), ("theta_sum", tsum)):
            if not a < b <= 360.0:
                raise s.error(key, f"= [{a:g}, {b:g}] must satisfy 0 <= low < high <= 360 degrees")
        s.done()
        vetoes.append(
            TriggerPattern(name, lo_e, hi_e, tuple(np.radians(dphi)), tuple(np.radians(tsum)))
        )
    t.done()
    return tuple(vetoes)


def _muon(t: Table) -> MuonSettings | None:
    if not t.data:
        t.done()
        return None
    layers = t.number("layers", lo=1, hi=100, integer=True)
    m = MuonSettings(
        coil_radius=t.number("coil_radius", lo=0.0, lo_open=True, hi=10000.0, unit="mm"),
        theta_range=_angle_range(t, "theta_range"),
        layers=layers,
        absorber=t.number("absorber", lo=0.0, lo_open=True, hi=1000.0, unit="mm"),
        energy_loss=t.number("energy_loss", lo=0.0, hi=5.0, unit="GeV"),
        absorber_dedx=t.number("absorber_dedx", lo=0.0, lo_open=True, hi=1.0, unit="GeV/mm"),
        interaction_length=t.number(
            "interaction_length", lo=0.0, lo_open=True, hi=10000.0, unit="mm"
        ),
        hadron_survival=t.number("hadron_survival", lo=0.0, hi=1.0),
        min_layers=t.number("min_layers", lo=1, hi=layers, integer=True),
    )
    t.done()
    return m


def _background_conditions(t: Table) -> tuple[BackgroundCondition, ...]:
    out = []
    for name in list(t.data):
        s = t.table(name)
        edges = _number_list(s, "photon_theta_edges", lo=0.0, increasing=True)
        if len(edges) < 2 or edges[-1] > 180.0:
            raise s.error("photon_theta_edges", f"= {edges!r}: at least two edges in 0-180 deg")
        weights = _number_list(s, "photon_theta_weights", lo=0.0)
        if len(weights) != len(edges) - 1 or sum(weights) <= 0.0:
            raise s.error(
                "photon_theta_weights",
                f"= {weights!r}: one non-negative weight per bin ({len(edges) - 1}), not all 0",
            )
        e_min, e_slope = s.numbers("photon_energy", 2, lo=0.0, unit="GeV")
        pt_min, pt_slope = s.numbers("track_pt", 2, lo=0.0, unit="GeV")
        for key, slope in (("photon_energy", e_slope), ("track_pt", pt_slope)):
            if slope <= 0.0:
                raise s.error(key, f"slope = {slope:g} GeV must be > 0")
        out.append(
            BackgroundCondition(
                name=name,
                photons=s.number("photons", lo=0.0, hi=200.0),
                photon_energy=(e_min, e_slope),
                photon_theta_edges=tuple(np.radians(edges)),
                photon_theta_weights=tuple(w / sum(weights) for w in weights),
                tracks=s.number("tracks", lo=0.0, hi=100.0),
                track_pt=(pt_min, pt_slope),
                track_d0=s.number("track_d0", lo=0.0, hi=1000.0, unit="mm"),
                track_z0=s.number("track_z0", lo=0.0, hi=5000.0, unit="mm"),
            )
        )
        s.done()
    t.done()
    return tuple(out)


def select_background(det: DetectorSettings, t: Table) -> DetectorSettings:
    """The run card's [background] section: `condition` (one of the detector card's
    [background.<condition>] tables) and `scale` (multiplicities × scale, e.g. for another
    luminosity); `enabled = false` switches the overlay off."""
    if not t.boolean("enabled", True):
        t.raw("condition", None)
        t.raw("scale", None)
        t.done()
        return det
    names = tuple(c.name for c in det.background_conditions)
    if not names:
        raise t.error("condition", f"detector card {det.path} has no [background.<condition>]")
    name = t.string("condition", names[0], choices=names)
    scale = t.number("scale", 1.0, lo=0.0, hi=100.0)
    t.done()
    cond = next(c for c in det.background_conditions if c.name == name)
    return replace(det, background=replace(cond, scale=scale))


def load_detector(path: str | Path) -> DetectorSettings:
    """Read and validate a detector card."""
    data, text = load_toml(path)
    top = Table(data, "", source=str(path))
    det = top.table("detector")
    name = det.string("name")
    field_t = det.number("solenoid_field", lo=0.0, lo_open=True, hi=10.0, unit="T")
    det.done()
    calorimeter = _calorimeter(top.table("calorimeter"))
    settings = DetectorSettings(
        name=name,
        path=str(path),
        text=text,
        solenoid_field=field_t,
        beams=beams_from_table(top.table("beams")),
        calorimeter=calorimeter,
        tracking=_tracking(top.table("tracking"), field_t),
        vertexing=_vertexing(top.table("vertexing", None)),
        pid=_pid(top.table("pid", {})),
        material=_material(top.table("material", {}), calorimeter.inner_radius),
    )
    vetoes = _trigger_patterns(top.table("trigger_pattern", {}))
    settings = replace(
        settings,
        trigger=_trigger(top.table("trigger", {}), tuple(v.name for v in vetoes)),
        trigger_patterns=vetoes,
        muon=_muon(top.table("muon", {})),
        background_conditions=_background_conditions(top.table("background", {})),
    )
    top.done()
    return settings
