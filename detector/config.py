"""Detector cards (cards/belle2.toml, ...): parsed and validated into typed settings.

Every number in a detector card carries its source (paper or basf2 file) in a comment next to it;
this module only checks that the numbers are usable, naming the field when they are not.
Sections: [detector], [beams], [tracking], [calorimeter] (required); [vertexing], [pid],
[material], [trigger.<line>], [trigger_pattern.<name>], [muon] and [background.<condition>]
(optional: without them every vertex fit succeeds, tracks are called pions, no material is
simulated, no trigger bit is written, the muon ID and trigger see no muon system and no
background can be overlaid). Every field is declared in detector/card_fields.py (type, unit,
range, default, meaning) and read here through `Field.read`, so a bad value is reported with
the field, the value and the allowed range.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..cards import shipped_card  # noqa: F401  (re-exported: detector cards by name)
from ..generator.beams import BeamSettings, beams_from_table
from ..toml_fields import Field, Table, load_toml
from .card_fields import FIELDS, MATERIAL_KINDS, PID_NAMES, RUN_BACKGROUND

MRAD = 1e-3
#: PID species in matrix order: e, μ, π, K, p (absolute PDG ids).
PID_SPECIES = (11, 13, 211, 321, 2212)


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
    drift-chamber layers crossed), "table" (ε(r) at the production radius) or "impact" (ε(r),
    times 1 for a track whose true helix passes within `global_max_d0` of the beam axis, which
    the global drift-chamber finder assumes, `local_efficiency` otherwise).
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
    efficiency_model: str = "layers"  # "layers", "table" or "impact"
    efficiency_radii: tuple[float, ...] = (0.0,)  # mm, "table" model: production radius
    efficiency_table: tuple[float, ...] = (1.0,)  # "table" model: ε(r), 0 beyond the last
    global_max_d0: float = 0.0  # mm, "impact" model: largest |d0| of the true helix the global
    # finder (tracks from the beam axis) finds with ε(r)
    local_efficiency: float = 0.0  # "impact" model: the other tracks' efficiency / ε(r)
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

    def impact_factor(self, d0: np.ndarray) -> np.ndarray:
        """The "impact" model's factor on ε(r): 1 where |d0| of the true helix is at most
        `global_max_d0`, `local_efficiency` beyond."""
        return np.where(np.abs(d0) <= self.global_max_d0, 1.0, self.local_efficiency)


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


def _radians(pair: tuple[float, float]) -> tuple[float, float]:
    return float(np.radians(pair[0])), float(np.radians(pair[1]))


def _angles(f: Field, t: Table, key: str | None = None) -> tuple[float, float]:
    """A declared polar-angle range (degrees in the card) in radians."""
    return _radians(f.read(t, key))


def _settings(cls: type, values: dict[str, Any], renamed: dict[str, str], **more: Any) -> Any:
    """`cls` built from the values read by card key: a key fills the settings field of the
    same name or the one `renamed` gives (a key that fills none is a programming error: a
    declared field read and then dropped)."""
    kw = {renamed.get(k, k): v for k, v in values.items()}
    unused = set(kw) - {f.name for f in fields(cls)}
    if unused:
        raise TypeError(f"{cls.__name__} has no field for the card keys {sorted(unused)}")
    return cls(**kw, **more)


def _tail(t: Table, section: dict[str, Field], top: dict[str, Any] | None = None) -> tuple:
    """Crystal Ball tail (tail_alpha, tail_n); a region's defaults are the [calorimeter]
    values `top`."""
    given = {k: {"default": top[k]} if top else {} for k in ("tail_alpha", "tail_n")}
    alpha = section["tail_alpha"].read(t, **given["tail_alpha"])
    n = section["tail_n"].read(t, **given["tail_n"])
    if alpha > 0.0 and not n > 1.0:
        raise t.error("tail_n", f"= {n:g}: a Crystal Ball tail (tail_alpha > 0) needs n > 1")
    return alpha, n


def _theta_regions(t: Table) -> tuple[list[str], list[tuple[float, float]]]:
    regions_table = FIELDS["calorimeter"]["theta_regions"].read(t)
    names = list(regions_table.data)
    region = FIELDS["calorimeter.theta_regions"]["<region>"]
    ranges = [_angles(region, regions_table, k) for k in names]
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
    return names, ranges


#: Card keys of the resolution terms -> CalorimeterSettings / CaloRegion fields.
_CALO_NAMES = {"noise_term": "noise", "stochastic_term": "stochastic",
               "constant_term": "constant", "sampling_term": "sampling",
               "hadronic_interaction_probability": "hadronic_interaction",
               "position_resolution": "position"}  # fmt: skip


def _regions(t: Table, names: list[str], ranges: list, top: dict[str, Any]) -> list[CaloRegion]:
    """[calorimeter.region.<region>]: each region's terms, the [calorimeter] ones by default."""
    overrides = FIELDS["calorimeter"]["region"].read(t)
    unknown = set(overrides.data) - set(names)
    if unknown:
        raise overrides.error(
            sorted(unknown)[0], f"is not a region of [calorimeter.theta_regions] ({names})"
        )
    section = FIELDS["calorimeter.region.<region>"]
    regions = []
    for name, th in zip(names, ranges, strict=True):
        r = FIELDS["calorimeter.region"]["<region>"].read(overrides, name)
        r.only(*section)
        v = {k: f.read(r, default=top[k]) for k, f in section.items()
             if f.default_ref and not k.startswith("tail_")}  # fmt: skip
        v["tail_alpha"], v["tail_n"] = _tail(r, section, top)
        v["position_resolution"] = section["position_resolution"].read(r)
        regions.append(_settings(CaloRegion, v, _CALO_NAMES, name=name, theta=th))
        r.done()
    overrides.done()
    return regions


def _calorimeter(t: Table) -> CalorimeterSettings:
    section = FIELDS["calorimeter"]
    c = {k: f.read(t) for k, f in section.items()
         if f.kind != "table" and k not in ("tail_alpha", "tail_n")}  # fmt: skip
    names, ranges = _theta_regions(t)
    eff = c.pop("photon_efficiency")
    if eff[0] > 1.0:
        raise t.error("photon_efficiency", f"= {list(eff)!r}: plateau must be <= 1")
    c["tail_alpha"], c["tail_n"] = _tail(t, section)
    regions = _regions(t, names, ranges, c)
    if (c["crystal_size"] > 0.0) != (c["moliere_radius"] > 0.0):
        key = "moliere_radius" if c["crystal_size"] > 0.0 else "crystal_size"
        raise t.error(key, "crystal_size and moliere_radius must be given together (> 0)")
    cal = _settings(
        CalorimeterSettings,
        c,
        {**_CALO_NAMES, "position_resolution": "position_resolution"},
        theta_regions=tuple(ranges),
        regions=tuple(regions),
        efficiency=eff[0],
        efficiency_turn_on=eff[1],
    )
    t.done()
    return cal


#: [tracking] keys of each displaced-track model; a key of another model is an error.
EFFICIENCY_MODEL_KEYS = {
    "layers": ("full_efficiency_drift_hits",),
    "table": ("efficiency_radii", "efficiency_table"),
    "impact": ("efficiency_radii", "efficiency_table", "global_max_d0", "local_efficiency"),
}


def _efficiency_model(t: Table, min_dc: int, n_layers: int) -> dict[str, Any]:
    """The displaced-track model and its own keys (TrackingSettings fields): "layers"
    (full_efficiency_drift_hits), "table" (efficiency_radii, efficiency_table) or "impact"
    (efficiency_radii, efficiency_table, global_max_d0, local_efficiency); one model, never
    two."""
    f = FIELDS["tracking"]
    model = f["efficiency_model"].read(t)
    for other, keys in EFFICIENCY_MODEL_KEYS.items():
        for key in keys:
            if key not in EFFICIENCY_MODEL_KEYS[model] and t.has(key):
                raise t.error(key, f"belongs to efficiency_model = {other!r}, not {model!r} "
                              "(one displaced-track model, never two)")  # fmt: skip
    if model == "layers":
        full = f["full_efficiency_drift_hits"].read(t, lo=min_dc, hi=n_layers)
        return {"efficiency_model": model, "full_drift_hits": full}
    radii = f["efficiency_radii"].read(t)
    table = f["efficiency_table"].read(t)
    if len(table) != len(radii):
        raise t.error("efficiency_table", f"= {list(table)!r}: one value in [0, 1] per "
                      f"entry of efficiency_radii ({len(radii)})")  # fmt: skip
    out = {"efficiency_model": model, "full_drift_hits": min_dc,
           "efficiency_radii": radii, "efficiency_table": table}  # fmt: skip
    if model == "impact":
        out["global_max_d0"] = f["global_max_d0"].read(t)
        out["local_efficiency"] = f["local_efficiency"].read(t)
    return out


#: [tracking] keys read as they are into the TrackingSettings field of the same name.
_TRACKING_AS_IS = ("pt_resolution", "pt_resolution_over_beta", "d0_resolution",
                   "z0_resolution", "phi0_resolution", "tanlambda_resolution", "min_pt",
                   "pt_turn_on", "efficiency", "cluster_match_distance")  # fmt: skip


def _tracking(t: Table, field_t: float) -> TrackingSettings:
    f = FIELDS["tracking"]
    pipe = f["beam_pipe_radius"].read(t)
    silicon = f["silicon_radii"].read(t, lo=pipe)
    si_res = f["silicon_resolution"].read(t)
    dc_in = f["drift_inner_radius"].read(t, lo=silicon[-1])
    dc_out = f["drift_outer_radius"].read(t, lo=dc_in)
    n_layers = f["drift_layers"].read(t)
    n_super = f["drift_superlayers"].read(t, hi=n_layers)
    dc_res = f["drift_resolution"].read(t)
    edges = np.linspace(dc_in, dc_out, n_super + 1)
    weights = np.diff(np.round(np.linspace(0, n_layers, n_super + 1)).astype(int))
    min_si = f["min_silicon_hits"].read(t, hi=len(silicon))
    min_dc = f["min_drift_hits"].read(t, hi=n_layers)
    model = _efficiency_model(t, min_dc, n_layers)
    trk = TrackingSettings(
        **{k: f[k].read(t) for k in _TRACKING_AS_IS},
        field=field_t,
        theta_range=_angles(f["theta_range"], t),
        beam_pipe_radius=pipe,
        layer_radii=(*silicon, *(float(x) for x in 0.5 * (edges[:-1] + edges[1:]))),
        layer_weights=(*([1] * len(silicon)), *(int(w) for w in weights)),
        layer_resolution=(*([si_res] * len(silicon)), *([dc_res] * n_super)),
        min_drift_hits=min_dc,
        n_silicon=len(silicon),
        min_silicon_hits=min_si,
        **model,
    )
    if trk.efficiency_model in ("table", "impact"):
        radii, table = trk.efficiency_radii, trk.efficiency_table
        r_find = trk.findable_radius()
        beyond = [(x, e) for x, e in zip(radii, table, strict=True) if x >= r_find and e > 0]
        if beyond:
            raise t.error("efficiency_table", f"= {list(table)!r}: must be 0 from r = "
                          f"{r_find:g} mm on, where a track crosses fewer than min_drift_hits "
                          f"= {min_dc} drift-chamber layers (found: {beyond!r})")  # fmt: skip
    t.done()
    return trk


def _vertexing(t: Table) -> VertexSettings:
    v = VertexSettings(min_chi_prob=FIELDS["vertexing"]["min_chi_prob"].read(t))
    t.done()
    return v


def _material(t: Table, calorimeter_radius: float) -> MaterialSettings:
    """[material]: switches and [[material.layers]], strictly increasing in radius and inside
    the calorimeter (detector/card_fields.py)."""
    if not t.data:
        t.done()
        return MaterialSettings()
    f, layer = FIELDS["material"], FIELDS["material.layers"]
    entries = f["layers"].read(t)
    layers = []
    for e in entries:
        v = {k: layer[k].read(e, **({"hi": calorimeter_radius} if k == "radius" else {}))
             for k in layer}  # fmt: skip
        if not v["source"].strip():
            raise e.error("source", "must name where the layer's numbers come from")
        layers.append(_settings(MaterialLayer, v, {"z": "z_range"}))
        e.done()
    f["layers"].check_order(entries, [x.radius for x in layers])
    m = _settings(MaterialSettings, {k: g.read(t) for k, g in f.items() if k != "layers"}, {},
                  layers=tuple(layers))  # fmt: skip
    t.done()
    return m


def _pid(t: Table) -> PidSettings:
    if not t.data:
        t.done()
        return PidSettings()
    f, region = FIELDS["pid"], FIELDS["pid.regions.<region>"]
    edges = f["momentum_bins"].read(t)
    n_p = len(edges) - 1
    regions_t = f["regions"].read(t)
    regions = []
    for name in list(regions_t.data):
        r = FIELDS["pid.regions"]["<region>"].read(regions_t, name)
        theta = _angles(region["theta"], r)
        charge = region["charge"].read(r)
        matrix = np.empty((n_p, 5, 5))
        for i, sp in enumerate(PID_NAMES):
            matrix[:, i, :] = region[sp].read(r, rows=n_p)
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


def _trigger_line(s: Table, name: str, pattern_names: tuple[str, ...]) -> TriggerLine:
    section = FIELDS["trigger.<line>"]
    v = {}
    for k, f in section.items():
        if f.kind == "interval":
            v[k] = _angles(f, s)
        else:
            v[k] = f.read(s, choices=pattern_names) if f.choices_ref else f.read(s)
    v["opening_angle"] = float(np.radians(v["opening_angle"]))
    line = TriggerLine(name=name, **v)
    for lo_key, hi_key in (("tracks", "max_tracks"), ("clusters", "max_clusters"),
                           ("other_clusters", "max_other_clusters")):  # fmt: skip
        lo, hi = getattr(line, lo_key), getattr(line, hi_key)
        if hi is not None and hi < lo:
            raise s.error(hi_key, f"= {hi} must be >= {lo_key} = {lo}")
    if line.max_energy_sum <= line.energy_sum:
        raise s.error("max_energy_sum", f"= {line.max_energy_sum:g} must be > energy_sum")
    s.done()
    return line


def _trigger(t: Table, pattern_names: tuple[str, ...] = ()) -> tuple[TriggerLine, ...]:
    line = FIELDS["trigger"]["<line>"]
    lines = [_trigger_line(line.read(t, name), name, pattern_names) for name in list(t.data)]
    t.done()
    return tuple(lines)


def _trigger_patterns(t: Table) -> tuple[TriggerPattern, ...]:
    f = FIELDS["trigger_pattern.<name>"]
    vetoes = []
    for name in list(t.data):
        s = FIELDS["trigger_pattern"]["<name>"].read(t, name)
        lo_e = f["energy_low"].read(s)
        hi_e = f["energy_high"].read(s, lo=lo_e)
        dphi = _radians(f["delta_phi"].read(s))
        tsum = _radians(f["theta_sum"].read(s))
        s.done()
        vetoes.append(TriggerPattern(name, lo_e, hi_e, dphi, tsum))
    t.done()
    return tuple(vetoes)


def _muon(t: Table) -> MuonSettings | None:
    if not t.data:
        t.done()
        return None
    f = FIELDS["muon"]
    layers = f["layers"].read(t)
    v = {k: g.read(t) for k, g in f.items() if k not in ("layers", "min_layers", "theta_range")}
    m = MuonSettings(
        **v,
        layers=layers,
        theta_range=_angles(f["theta_range"], t),
        min_layers=f["min_layers"].read(t, hi=layers),
    )
    t.done()
    return m


def _background_condition(s: Table, name: str) -> BackgroundCondition:
    f = FIELDS["background.<condition>"]
    edges = f["photon_theta_edges"].read(s)
    weights = f["photon_theta_weights"].read(s)
    if len(weights) != len(edges) - 1 or sum(weights) <= 0.0:
        raise s.error(
            "photon_theta_weights",
            f"= {list(weights)!r}: one non-negative weight per bin ({len(edges) - 1}), not all 0",
        )
    v = {k: g.read(s) for k, g in f.items() if k not in ("photon_theta_edges",
                                                       "photon_theta_weights")}  # fmt: skip
    for key in ("photon_energy", "track_pt"):
        if v[key][1] <= 0.0:
            raise s.error(key, f"slope = {v[key][1]:g} GeV must be > 0")
    cond = BackgroundCondition(
        name=name,
        **v,
        photon_theta_edges=tuple(np.radians(edges)),
        photon_theta_weights=tuple(w / sum(weights) for w in weights),
    )
    s.done()
    return cond


def _background_conditions(t: Table) -> tuple[BackgroundCondition, ...]:
    condition = FIELDS["background"]["<condition>"]
    out = tuple(_background_condition(condition.read(t, name), name) for name in list(t.data))
    t.done()
    return out


def select_background(det: DetectorSettings, t: Table) -> DetectorSettings:
    """The run card's [background] section: `condition` (one of the detector card's
    [background.<condition>] tables) and `scale` (multiplicities × scale, e.g. for another
    luminosity); `enabled = false` switches the overlay off (detector/card_fields.py)."""
    names = tuple(c.name for c in det.background_conditions)
    if not RUN_BACKGROUND["enabled"].read(t):
        RUN_BACKGROUND["condition"].read(t, choices=names, default=None)
        RUN_BACKGROUND["scale"].read(t)
        t.done()
        return det
    if not names:
        raise t.error("condition", f"detector card {det.path} has no [background.<condition>]")
    name = RUN_BACKGROUND["condition"].read(t, choices=names, default=names[0])
    scale = RUN_BACKGROUND["scale"].read(t)
    t.done()
    cond = next(c for c in det.background_conditions if c.name == name)
    return replace(det, background=replace(cond, scale=scale))


def load_detector(path: str | Path) -> DetectorSettings:
    """Read and validate a detector card (every field through detector/card_fields.py)."""
    data, text = load_toml(path)
    top = Table(data, "", source=str(path))
    tables = FIELDS[""]
    det = tables["detector"].read(top)
    name = FIELDS["detector"]["name"].read(det)
    field_t = FIELDS["detector"]["solenoid_field"].read(det)
    det.done()
    calorimeter = _calorimeter(tables["calorimeter"].read(top))
    settings = DetectorSettings(
        name=name,
        path=str(path),
        text=text,
        solenoid_field=field_t,
        beams=beams_from_table(tables["beams"].read(top)),
        calorimeter=calorimeter,
        tracking=_tracking(tables["tracking"].read(top), field_t),
        vertexing=_vertexing(tables["vertexing"].read(top)),
        pid=_pid(tables["pid"].read(top)),
        material=_material(tables["material"].read(top), calorimeter.inner_radius),
    )
    vetoes = _trigger_patterns(tables["trigger_pattern"].read(top))
    settings = replace(
        settings,
        trigger=_trigger(tables["trigger"].read(top), tuple(v.name for v in vetoes)),
        trigger_patterns=vetoes,
        muon=_muon(tables["muon"].read(top)),
        background_conditions=_background_conditions(tables["background"].read(top)),
    )
    top.done()
    return settings
