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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..cards import shipped_card  # noqa: F401  (re-exported: detector cards by name)
from ..generator.beams import BeamSettings, beams_from_table
from ..toml_fields import Field, Table, load_toml
from .card_fields import (
    BACKGROUND,
    BACKGROUND_SET,
    CALORIMETER,
    DETECTOR,
    LAYER,
    MATERIAL,
    MATERIAL_KINDS,
    MUON,
    PATTERN,
    PATTERN_SET,
    PID,
    PID_NAMES,
    PID_REGION,
    PID_REGION_SET,
    REGION,
    REGION_SET,
    RUN_BACKGROUND,
    THETA_REGION,
    TOP,
    TRACKING,
    TRIGGER_LINE,
    TRIGGER_SET,
    VERTEXING,
)

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


def _tail(t: Table, fields: dict[str, Field], **defaults: float) -> tuple[float, float]:
    """Crystal Ball tail (tail_alpha, tail_n); `defaults` are the [calorimeter] values for a
    region's overrides."""
    a_def = {"default": defaults["tail_alpha"]} if defaults else {}
    n_def = {"default": defaults["tail_n"]} if defaults else {}
    alpha = fields["tail_alpha"].read(t, **a_def)
    n = fields["tail_n"].read(t, **n_def)
    if alpha > 0.0 and not n > 1.0:
        raise t.error("tail_n", f"= {n:g}: a Crystal Ball tail (tail_alpha > 0) needs n > 1")
    return alpha, n


def _theta_regions(t: Table) -> tuple[list[str], list[tuple[float, float]]]:
    regions_table = CALORIMETER["theta_regions"].read(t)
    names = list(regions_table.data)
    ranges = [_angles(THETA_REGION["<region>"], regions_table, k) for k in names]
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


def _regions(t: Table, names: list[str], ranges: list, top: dict[str, Any]) -> list[CaloRegion]:
    """[calorimeter.region.<region>]: each region's terms, the [calorimeter] ones by default."""
    overrides = CALORIMETER["region"].read(t)
    unknown = set(overrides.data) - set(names)
    if unknown:
        raise overrides.error(
            sorted(unknown)[0], f"is not a region of [calorimeter.theta_regions] ({names})"
        )
    regions = []
    for name, th in zip(names, ranges, strict=True):
        r = REGION_SET["<region>"].read(overrides, name)
        r.only(*REGION)
        ra, rn = _tail(r, REGION, tail_alpha=top["tail_alpha"], tail_n=top["tail_n"])
        terms = {k: REGION[k].read(r, default=top[k]) for k in
                 ("noise_term", "stochastic_term", "constant_term", "energy_threshold",
                  "sampling_term")}  # fmt: skip
        regions.append(
            CaloRegion(
                name=name,
                theta=th,
                noise=terms["noise_term"],
                stochastic=terms["stochastic_term"],
                constant=terms["constant_term"],
                energy_threshold=terms["energy_threshold"],
                tail_alpha=ra,
                tail_n=rn,
                sampling=terms["sampling_term"],
                position=REGION["position_resolution"].read(r),
            )
        )
        r.done()
    overrides.done()
    return regions


def _calorimeter(t: Table) -> CalorimeterSettings:
    c = {k: f.read(t) for k, f in CALORIMETER.items()
         if f.kind != "table" and k not in ("tail_alpha", "tail_n")}  # fmt: skip
    names, ranges = _theta_regions(t)
    eff = c["photon_efficiency"]
    if eff[0] > 1.0:
        raise t.error("photon_efficiency", f"= {list(eff)!r}: plateau must be <= 1")
    c["tail_alpha"], c["tail_n"] = _tail(t, CALORIMETER)
    regions = _regions(t, names, ranges, c)
    crystal, moliere = c["crystal_size"], c["moliere_radius"]
    if (crystal > 0.0) != (moliere > 0.0):
        key = "moliere_radius" if crystal > 0.0 else "crystal_size"
        raise t.error(key, "crystal_size and moliere_radius must be given together (> 0)")
    cal = CalorimeterSettings(
        inner_radius=c["inner_radius"],
        z_forward=c["z_forward"],
        z_backward=c["z_backward"],
        theta_regions=tuple(ranges),
        noise=c["noise_term"],
        stochastic=c["stochastic_term"],
        constant=c["constant_term"],
        position_resolution=c["position_resolution"],
        energy_threshold=c["energy_threshold"],
        efficiency=eff[0],
        efficiency_turn_on=eff[1],
        merging_distance=c["merging_distance"],
        mip_energy=c["mip_energy"],
        mip_spread=c["mip_spread"],
        hadronic_interaction=c["hadronic_interaction_probability"],
        regions=tuple(regions),
        tail_alpha=c["tail_alpha"],
        tail_n=c["tail_n"],
        sampling=c["sampling_term"],
        crystal_size=crystal,
        moliere_radius=moliere,
        crystal_depth=c["crystal_depth"],
        critical_energy=c["critical_energy"],
        effective_z=c["effective_z"],
        local_maximum_energy=c["local_maximum_energy"],
        digit_threshold=c["digit_threshold"],
        hadron_visible_fraction=c["hadron_visible_fraction"],
        neutral_hadrons=c["neutral_hadrons"],
        split_off_probability=c["split_off_probability"],
        split_off_fraction=c["split_off_fraction"],
        split_off_distance=c["split_off_distance"],
    )
    t.done()
    return cal


def _efficiency_model(t: Table, min_dc: int, n_layers: int) -> tuple[str, int, tuple, tuple]:
    """The displaced-track model: "layers" (full_efficiency_drift_hits) or "table"
    (efficiency_radii, efficiency_table), never both."""
    model = TRACKING["efficiency_model"].read(t)
    if model == "layers":
        full = TRACKING["full_efficiency_drift_hits"].read(t, lo=min_dc, hi=n_layers)
        for key in ("efficiency_radii", "efficiency_table"):
            if t.has(key):
                raise t.error(key, "belongs to efficiency_model = 'table', not 'layers' "
                              "(one displaced-track model, never both)")  # fmt: skip
        return model, full, (0.0,), (1.0,)
    if t.has("full_efficiency_drift_hits"):
        raise t.error("full_efficiency_drift_hits", "belongs to efficiency_model = 'layers'"
                      ", not 'table' (one displaced-track model, never both)")  # fmt: skip
    radii = TRACKING["efficiency_radii"].read(t)
    table = TRACKING["efficiency_table"].read(t)
    if len(table) != len(radii):
        raise t.error("efficiency_table", f"= {list(table)!r}: one value in [0, 1] per "
                      f"entry of efficiency_radii ({len(radii)})")  # fmt: skip
    return model, min_dc, radii, table


def _tracking(t: Table, field_t: float) -> TrackingSettings:
    r = TRACKING
    pipe = r["beam_pipe_radius"].read(t)
    silicon = r["silicon_radii"].read(t, lo=pipe)
    si_res = r["silicon_resolution"].read(t)
    dc_in = r["drift_inner_radius"].read(t, lo=silicon[-1])
    dc_out = r["drift_outer_radius"].read(t, lo=dc_in)
    n_layers = r["drift_layers"].read(t)
    n_super = r["drift_superlayers"].read(t, hi=n_layers)
    dc_res = r["drift_resolution"].read(t)
    edges = np.linspace(dc_in, dc_out, n_super + 1)
    weights = np.diff(np.round(np.linspace(0, n_layers, n_super + 1)).astype(int))
    eff = r["efficiency"].read(t)
    min_si = r["min_silicon_hits"].read(t, hi=len(silicon))
    min_dc = r["min_drift_hits"].read(t, hi=n_layers)
    model, full, radii, table = _efficiency_model(t, min_dc, n_layers)
    trk = TrackingSettings(
        field=field_t,
        theta_range=_angles(r["theta_range"], t),
        beam_pipe_radius=pipe,
        layer_radii=(*silicon, *(float(x) for x in 0.5 * (edges[:-1] + edges[1:]))),
        layer_weights=(*([1] * len(silicon)), *(int(w) for w in weights)),
        layer_resolution=(*([si_res] * len(silicon)), *([dc_res] * n_super)),
        pt_resolution=r["pt_resolution"].read(t),
        pt_resolution_over_beta=r["pt_resolution_over_beta"].read(t),
        d0_resolution=r["d0_resolution"].read(t),
        z0_resolution=r["z0_resolution"].read(t),
        phi0_resolution=r["phi0_resolution"].read(t),
        tanlambda_resolution=r["tanlambda_resolution"].read(t),
        min_pt=r["min_pt"].read(t),
        pt_turn_on=r["pt_turn_on"].read(t),
        efficiency=eff,
        min_drift_hits=min_dc,
        full_drift_hits=full,
        n_silicon=len(silicon),
        min_silicon_hits=min_si,
        efficiency_model=model,
        efficiency_radii=radii,
        efficiency_table=table,
        cluster_match_distance=r["cluster_match_distance"].read(t),
    )
    if model == "table":
        r_find = trk.findable_radius()
        beyond = [(x, e) for x, e in zip(radii, table, strict=True) if x >= r_find and e > 0]
        if beyond:
            raise t.error("efficiency_table", f"= {list(table)!r}: must be 0 from r = "
                          f"{r_find:g} mm on, where a track crosses fewer than min_drift_hits "
                          f"= {min_dc} drift-chamber layers (found: {beyond!r})")  # fmt: skip
    t.done()
    return trk


def _vertexing(t: Table) -> VertexSettings:
    v = VertexSettings(min_chi_prob=VERTEXING["min_chi_prob"].read(t))
    t.done()
    return v


def _material(t: Table, calorimeter_radius: float) -> MaterialSettings:
    """[material]: switches and [[material.layers]], strictly increasing in radius and inside
    the calorimeter (detector/card_fields.py)."""
    if not t.data:
        t.done()
        return MaterialSettings()
    entries = MATERIAL["layers"].read(t)
    layers = []
    for e in entries:
        radius = LAYER["radius"].read(e, hi=calorimeter_radius)
        z_range = LAYER["z"].read(e)
        source = LAYER["source"].read(e)
        if not source.strip():
            raise e.error("source", "must name where the layer's numbers come from")
        layers.append(MaterialLayer(LAYER["name"].read(e), LAYER["kind"].read(e), radius,
                                    z_range, LAYER["x_over_x0"].read(e), source))  # fmt: skip
        e.done()
    MATERIAL["layers"].check_order(entries, [layer.radius for layer in layers])
    m = MaterialSettings(
        enabled=MATERIAL["enabled"].read(t),
        layers=tuple(layers),
        conversions=MATERIAL["conversions"].read(t),
        bremsstrahlung=MATERIAL["bremsstrahlung"].read(t),
        brems_min_energy=MATERIAL["brems_min_energy"].read(t),
    )
    t.done()
    return m


def _pid(t: Table) -> PidSettings:
    if not t.data:
        t.done()
        return PidSettings()
    edges = PID["momentum_bins"].read(t)
    n_p = len(edges) - 1
    regions_t = PID["regions"].read(t)
    regions = []
    for name in list(regions_t.data):
        r = PID_REGION_SET["<region>"].read(regions_t, name)
        theta = _angles(PID_REGION["theta"], r)
        charge = PID_REGION["charge"].read(r)
        matrix = np.empty((n_p, 5, 5))
        for i, sp in enumerate(PID_NAMES):
            matrix[:, i, :] = PID_REGION[sp].read(r, rows=n_p)
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
    v = {k: f.read(s) for k, f in TRIGGER_LINE.items() if f.kind not in ("interval", "string list")}
    names = {k: TRIGGER_LINE[k].read(s, choices=pattern_names) for k in ("vetoes", "patterns")}
    theta = {k: _angles(f, s) for k, f in TRIGGER_LINE.items() if f.kind == "interval"}
    line = TriggerLine(name=name, **{**v, **theta, **names})
    line = replace(line, opening_angle=float(np.radians(line.opening_angle)))
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
    lines = [
        _trigger_line(TRIGGER_SET["<line>"].read(t, name), name, pattern_names)
        for name in list(t.data)
    ]
    t.done()
    return tuple(lines)


def _trigger_patterns(t: Table) -> tuple[TriggerPattern, ...]:
    vetoes = []
    for name in list(t.data):
        s = PATTERN_SET["<name>"].read(t, name)
        lo_e = PATTERN["energy_low"].read(s)
        hi_e = PATTERN["energy_high"].read(s, lo=lo_e)
        dphi = _radians(PATTERN["delta_phi"].read(s))
        tsum = _radians(PATTERN["theta_sum"].read(s))
        s.done()
        vetoes.append(TriggerPattern(name, lo_e, hi_e, dphi, tsum))
    t.done()
    return tuple(vetoes)


def _muon(t: Table) -> MuonSettings | None:
    if not t.data:
        t.done()
        return None
    layers = MUON["layers"].read(t)
    m = MuonSettings(
        coil_radius=MUON["coil_radius"].read(t),
        theta_range=_angles(MUON["theta_range"], t),
        layers=layers,
        absorber=MUON["absorber"].read(t),
        energy_loss=MUON["energy_loss"].read(t),
        absorber_dedx=MUON["absorber_dedx"].read(t),
        interaction_length=MUON["interaction_length"].read(t),
        hadron_survival=MUON["hadron_survival"].read(t),
        min_layers=MUON["min_layers"].read(t, hi=layers),
    )
    t.done()
    return m


def _background_condition(s: Table, name: str) -> BackgroundCondition:
    b = BACKGROUND
    edges = b["photon_theta_edges"].read(s)
    weights = b["photon_theta_weights"].read(s)
    if len(weights) != len(edges) - 1 or sum(weights) <= 0.0:
        raise s.error(
            "photon_theta_weights",
            f"= {list(weights)!r}: one non-negative weight per bin ({len(edges) - 1}), not all 0",
        )
    e_min, e_slope = b["photon_energy"].read(s)
    pt_min, pt_slope = b["track_pt"].read(s)
    for key, slope in (("photon_energy", e_slope), ("track_pt", pt_slope)):
        if slope <= 0.0:
            raise s.error(key, f"slope = {slope:g} GeV must be > 0")
    cond = BackgroundCondition(
        name=name,
        photons=b["photons"].read(s),
        photon_energy=(e_min, e_slope),
        photon_theta_edges=tuple(np.radians(edges)),
        photon_theta_weights=tuple(w / sum(weights) for w in weights),
        tracks=b["tracks"].read(s),
        track_pt=(pt_min, pt_slope),
        track_d0=b["track_d0"].read(s),
        track_z0=b["track_z0"].read(s),
    )
    s.done()
    return cond


def _background_conditions(t: Table) -> tuple[BackgroundCondition, ...]:
    out = tuple(
        _background_condition(BACKGROUND_SET["<condition>"].read(t, name), name)
        for name in list(t.data)
    )
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
    det = TOP["detector"].read(top)
    name = DETECTOR["name"].read(det)
    field_t = DETECTOR["solenoid_field"].read(det)
    det.done()
    calorimeter = _calorimeter(TOP["calorimeter"].read(top))
    settings = DetectorSettings(
        name=name,
        path=str(path),
        text=text,
        solenoid_field=field_t,
        beams=beams_from_table(TOP["beams"].read(top)),
        calorimeter=calorimeter,
        tracking=_tracking(TOP["tracking"].read(top), field_t),
        vertexing=_vertexing(TOP["vertexing"].read(top)),
        pid=_pid(TOP["pid"].read(top)),
        material=_material(TOP["material"].read(top), calorimeter.inner_radius),
    )
    vetoes = _trigger_patterns(TOP["trigger_pattern"].read(top))
    settings = replace(
        settings,
        trigger=_trigger(TOP["trigger"].read(top), tuple(v.name for v in vetoes)),
        trigger_patterns=vetoes,
        muon=_muon(TOP["muon"].read(top)),
        background_conditions=_background_conditions(TOP["background"].read(top)),
    )
    top.done()
    return settings
