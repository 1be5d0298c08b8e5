"""The declared detector card: each field of each section once, with type, unit, range,
default and meaning.

detector/config.py reads every section through `Field.read` (alpsim/toml_fields.py), so a
detector card is checked against the ranges declared here and a bad value is reported with
the field, the value and the allowed range; the user guide's card reference prints these
tables (docs/gen_card_reference.py) and tests/test_docs.py fails when a shipped card holds a
field not declared here or a declared field is never read. [beams] is declared beside the
collider it configures (generator/beams.py). A key in angle brackets (`<line>`) stands for
names the card author chooses; `lo_ref`/`hi_ref`/`default_ref` name the field whose value
gives a bound or a default.
"""

from __future__ import annotations

from typing import Any

from ..generator.beams import BEAMS_FIELDS
from ..toml_fields import Field, field_map

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
_DEG = "deg"
_POLAR = "lab polar-angle range [θ_min, θ_max]"
_REGION_VALUE = "the [calorimeter] value"


def _named(key: str, description: str, **kw: object) -> tuple[Field]:
    """A section of author-named tables (`[trigger.<line>]`): its one placeholder field."""
    return (Field(key, "table", description, **kw),)


def _angles(key: str, description: str, **kw: object) -> Field:
    """A polar-angle range in degrees, 0 <= low < high <= 180."""
    return Field(key, "interval", description, unit=_DEG, lo=0.0, hi=180.0, **kw)


DETECTOR_FIELDS = (
    Field("name", "string", "experiment name shown in outputs and pages"),
    Field("solenoid_field", "number", "solenoid field along +z",
          unit="T", lo=0.0, lo_open=True, hi=10.0),
)  # fmt: skip

_RESOLUTION = (
    Field("noise_term", "number", "σ_E/E term ∝ 1/E (electronics noise)", lo=0.0, hi=1.0),
    Field("stochastic_term", "number", "σ_E/E term ∝ 1/E^{1/4} (CsI(Tl) parametrisation)",
          lo=0.0, hi=1.0),
    Field("sampling_term", "number", "σ_E/E term ∝ 1/√E", default=0.0, lo=0.0, hi=1.0),
    Field("constant_term", "number", "σ_E/E constant term", lo=0.0, hi=1.0),
    Field("energy_threshold", "number", "cluster energy threshold",
          unit="GeV", lo=0.0, hi=10.0),
    Field("tail_alpha", "number", "Crystal Ball α of the low-side tail, in σ (0: Gaussian)",
          default=0.0, lo=0.0, hi=10.0),
    Field("tail_n", "number", "Crystal Ball power n (must be > 1 when tail_alpha > 0)",
          default=0.0, lo=0.0, hi=100.0),
)  # fmt: skip

CALORIMETER_FIELDS = (
    Field("inner_radius", "number", "barrel front-face radius", unit="mm", lo=0.0, lo_open=True),
    Field("z_forward", "number", "forward end-cap front face", unit="mm", lo=0.0, lo_open=True),
    Field("z_backward", "number", "backward end-cap front face (negative z)",
          unit="mm", hi=0.0, hi_open=True),
    Field("theta_regions", "table", "[calorimeter.theta_regions]: the polar regions (barrel, "
          "end caps), which tile the acceptance without overlap"),
    Field("region", "table", "[calorimeter.region.<region>]: resolution terms of one region",
          default={}),
    *_RESOLUTION,
    Field("position_resolution", "numbers", "cluster position σ = a + b/√E + c/E^{1/4} "
          "(E in GeV) on the calorimeter surface", unit="mm", lo=0.0, length=3),
    Field("photon_efficiency", "numbers", "[plateau, turn-on]: ε(E) = plateau "
          "(1 − exp(−E/turn_on)), turn-on in GeV; plateau ≤ 1",
          default=(1.0, 0.0), lo=0.0, length=2),
    Field("merging_distance", "number", "clusters closer than this on the front face merge "
          "(without the shower-overlap model)", default=0.0, unit="mm", lo=0.0, hi=1000.0),
    Field("mip_energy", "number", "energy deposited by a minimum-ionising particle",
          default=0.2, unit="GeV", lo=0.0, hi=2.0),
    Field("mip_spread", "number", "relative Gaussian spread of the MIP deposit",
          default=0.1, lo=0.0, hi=1.0),
    Field("hadronic_interaction_probability", "number", "probability that a hadron showers",
          default=0.0, lo=0.0, hi=1.0),
    Field("crystal_size", "number", "crystal front-face width (with moliere_radius: the "
          "shower-overlap model; 0: off)", default=0.0, unit="mm", lo=0.0, hi=500.0),
    Field("moliere_radius", "number", "Molière radius of the crystal (given with crystal_size)",
          default=0.0, unit="mm", lo=0.0, hi=500.0),
    Field("crystal_depth", "number", "crystal depth", default=16.0, unit="X0", lo=1.0, hi=40.0),
    Field("critical_energy", "number", "critical energy of the crystal material",
          default=0.0112, unit="GeV", lo=1e-3, hi=0.1),
    Field("effective_z", "number", "effective Z of the crystal (Grindhammer–Peters)",
          default=54.0, lo=1.0, hi=100.0),
    Field("local_maximum_energy", "number", "a crystal must exceed this to seed a shower",
          default=0.010, unit="GeV", lo=0.0, hi=1.0),
    Field("digit_threshold", "number", "crystals above this count in clusterNHits",
          default=0.0005, unit="GeV", lo=0.0, hi=1.0),
    Field("hadron_visible_fraction", "number", "mean visible fraction of a hadron's kinetic "
          "energy", default=1.0, lo=0.0, lo_open=True, hi=1.0),
    Field("neutral_hadrons", "boolean", "K_L and neutrons leave calorimeter deposits",
          default=False),
    Field("split_off_probability", "number", "a hadron shower throws a split-off cluster",
          default=0.0, lo=0.0, hi=1.0),
    Field("split_off_fraction", "number", "mean fraction of the shower's deposit in the "
          "split-off", default=0.2, lo=0.0, hi=0.5),
    Field("split_off_distance", "number", "mean distance of the split-off on the front face",
          default=200.0, unit="mm", lo=0.0, lo_open=True, hi=2000.0),
)  # fmt: skip

THETA_REGION_FIELDS = (_angles("<region>", f"{_POLAR} of one calorimeter region"),)
REGION_FIELDS = (
    *(Field(f.key, f.kind, f.description, unit=f.unit, lo=f.lo, hi=f.hi,
            default_ref=_REGION_VALUE) for f in _RESOLUTION),
    Field("position_resolution", "numbers", "cluster position σ = a + b/√E + c/E^{1/4}",
          default=None, default_note=_REGION_VALUE, unit="mm", lo=0.0, length=3),
)  # fmt: skip

_TABLE = 'with efficiency_model = "table" or "impact"'
_IMPACT = 'with efficiency_model = "impact"'
TRACKING_FIELDS = (
    Field("beam_pipe_radius", "number", "beam-pipe radius", unit="mm", lo=0.0, lo_open=True),
    Field("silicon_radii", "number list", "radii of the silicon layers, outside the beam pipe",
          unit="mm", lo=0.0, lo_open=True, lo_ref="beam_pipe_radius", increasing=True),
    Field("silicon_resolution", "number", "single-hit resolution of a silicon layer",
          unit="mm", lo=0.0, lo_open=True),
    Field("drift_inner_radius", "number", "drift-chamber inner radius",
          unit="mm", lo=0.0, lo_open=True, lo_ref="the last silicon_radii"),
    Field("drift_outer_radius", "number", "drift-chamber outer radius",
          unit="mm", lo=0.0, lo_open=True, lo_ref="drift_inner_radius"),
    Field("drift_layers", "integer", "drift-chamber sense-wire layers", lo=1, hi=500),
    Field("drift_superlayers", "integer", "superlayers (the layers are grouped into these)",
          lo=1, hi=500, hi_ref="drift_layers"),
    Field("drift_resolution", "number", "single-hit resolution of a drift-chamber layer",
          unit="mm", lo=0.0, lo_open=True),
    Field("theta_range", "interval", f"{_POLAR} of the tracker", unit=_DEG, lo=0.0, hi=180.0),
    Field("efficiency", "number", "track-finding plateau efficiency", lo=0.0, hi=1.0),
    Field("min_silicon_hits", "integer", "fewer silicon layers crossed: no track",
          default=0, lo=0, hi=100, hi_ref="the number of silicon_radii"),
    Field("min_drift_hits", "integer", "fewer drift-chamber wire layers crossed: no track",
          lo=1, hi=500, hi_ref="drift_layers"),
    Field("efficiency_model", "string", "displaced-track finding: \"layers\" (efficiency "
          "rising with the drift-chamber layers crossed), \"table\" (ε(r) at the production "
          "radius) or \"impact\" (ε(r), times local_efficiency beyond global_max_d0 from "
          "the beam axis); one model, never two",
          choices=("layers", "table", "impact")),
    Field("full_efficiency_drift_hits", "integer", "\"layers\" model: the efficiency rises "
          "linearly up to this many wire layers crossed", lo=1, hi=500,
          lo_ref="min_drift_hits", hi_ref="drift_layers",
          needs='with efficiency_model = "layers"'),
    Field("efficiency_radii", "number list", "\"table\" and \"impact\" models: production "
          "radii of ε(r)",
          unit="mm", lo=0.0, increasing=True, needs=_TABLE),
    Field("efficiency_table", "number list", "\"table\" and \"impact\" models: ε(r), one per "
          "efficiency_radii "
          "entry, 0 where a track crosses fewer than min_drift_hits layers",
          lo=0.0, hi=1.0, needs=_TABLE),
    Field("global_max_d0", "number", "\"impact\" model: largest distance of the true helix "
          "from the beam axis at which the global finder (tracks from the IP) finds a track "
          "with the plateau efficiency", unit="mm", lo=0.0, hi=2000.0, needs=_IMPACT),
    Field("local_efficiency", "number", "\"impact\" model: finding efficiency of a track "
          "beyond global_max_d0 (left to the local, segment-based finders), as a fraction "
          "of the plateau", lo=0.0, hi=1.0, needs=_IMPACT),
    Field("pt_resolution", "numbers", "σ_pT/pT = a·pT ⊕ b/β (pT in GeV): [a, b]",
          lo=0.0, length=2),
    Field("pt_resolution_over_beta", "boolean", "false: σ_pT/pT = a·pT ⊕ b (no 1/β)"),
    Field("d0_resolution", "numbers", "σ_d0 = a ⊕ b/(p β sin^{3/2}θ): [a, b]",
          unit="mm", lo=0.0, length=2),
    Field("z0_resolution", "numbers", "σ_z0 = a ⊕ b/(p β sin^{5/2}θ): [a, b]",
          unit="mm", lo=0.0, length=2),
    Field("phi0_resolution", "numbers", "σ_φ0 = a ⊕ b/(p β sin^{3/2}θ): [a, b]",
          unit="rad", lo=0.0, length=2),
    Field("tanlambda_resolution", "numbers", "σ_tanλ = a ⊕ b/(p β sin^{5/2}θ): [a, b]",
          lo=0.0, length=2),
    Field("min_pt", "number", "lowest pT of a found track", unit="GeV", lo=0.0, hi=10.0),
    Field("pt_turn_on", "number", "ε ∝ 1 − exp(−(pT − min_pt)/pt_turn_on)",
          unit="GeV", lo=0.0, lo_open=True, hi=10.0),
    Field("cluster_match_distance", "number", "track–cluster match distance on the "
          "calorimeter front face", unit="mm", lo=0.0, lo_open=True, hi=1000.0),
)  # fmt: skip

VERTEXING_FIELDS = (
    Field("min_chi_prob", "number", "a vertex fit exists when its χ² probability is at least "
          "this", default=0.0, lo=0.0, hi=1.0),
)  # fmt: skip

MATERIAL_FIELDS = (
    Field("enabled", "boolean", "the material stage runs (the run card's material = false "
          "switches it off)", default=True),
    Field("conversions", "boolean", "photons convert in the material", default=True),
    Field("bremsstrahlung", "boolean", "electrons radiate in the material", default=True),
    Field("brems_min_energy", "number", "lighter bremsstrahlung photons are not made",
          default=0.001, unit="GeV", lo=0.0, hi=1.0),
    Field("layers", "table list", "[[material.layers]]: thin cylinders of material, listed in "
          "increasing radius", order_key="radius", needs="required in a non-empty [material]"),
)  # fmt: skip
LAYER_FIELDS = (
    Field("name", "string", "name of the layer"),
    Field("kind", "string", "what the layer is (\"calorimeter_front\": no conversion or "
          "bremsstrahlung, the calorimeter response includes it)", choices=MATERIAL_KINDS),
    Field("radius", "number", "cylinder radius, inside the calorimeter", unit="mm",
          lo=0.0, lo_open=True, hi=1e5, hi_open=True, hi_ref="[calorimeter] inner_radius"),
    Field("z", "interval", "[z_min, z_max] extent of the cylinder", unit="mm"),
    Field("x_over_x0", "number", "thickness at normal incidence in radiation lengths",
          lo=0.0, hi=1.0),
    Field("source", "string", "where the layer's numbers come from (not blank)"),
)  # fmt: skip

PID_FIELDS = (
    Field("momentum_bins", "number list", "momentum bin edges of the PID matrices",
          unit="GeV", lo=0.0, increasing=True, min_length=2),
    Field("regions", "table", "[pid.regions.<region>]: polar regions, which tile one range "
          "(per charge)"),
)  # fmt: skip
PID_NAMES = ("e", "mu", "pi", "K", "p")
PID_REGION_FIELDS = (
    _angles("theta", f"{_POLAR} of the region"),
    Field("charge", "integer", "+1 or −1: only tracks of that charge; 0: both",
          default=0, lo=-1, hi=1),
    *(Field(sp, "rows", f"true {sp}: per momentum bin, the probabilities to be called e, mu, "
            "pi, K, p", lo=0.0, length=5, row_sum=1.0) for sp in PID_NAMES),
)  # fmt: skip

_NO_LIMIT = "no limit"
_PATTERNS = "names of the card's [trigger_pattern.<name>]"


def _width(key: str, what: str) -> Field:
    return Field(key, "number", f"error-function turn-on width of {what} (0: a sharp cut)",
                 default=0.0, unit="GeV", lo=0.0, hi=5.0)  # fmt: skip


def _count(key: str, what: str) -> Field:
    return Field(key, "integer", f"at least this many {what}", default=0, lo=0, hi=100)


def _at_most(key: str, of: str) -> Field:
    return Field(key, "integer", f"at most this many (≥ {of})", default=None,
                 default_note=_NO_LIMIT, lo=0)  # fmt: skip


def _threshold(key: str, what: str, **kw: Any) -> Field:
    return Field(key, "number", what, default=0.0, unit="GeV", lo=0.0, **kw)


TRIGGER_LINE_FIELDS = (
    _count("tracks", "tracks passing track_pt, track_p, track_theta"),
    _at_most("max_tracks", "tracks"),
    _threshold("track_pt", "track pT threshold"),
    _threshold("track_p", "track momentum threshold"),
    _angles("track_theta", f"{_POLAR} of the tracks", default=(0.0, 180.0)),
    Field("opening_angle", "number", "largest transverse opening angle between two such "
          "tracks must exceed this", default=0.0, unit=_DEG, lo=0.0, hi=180.0),
    _count("clusters", "clusters passing cluster_energy, cluster_theta"),
    _at_most("max_clusters", "clusters"),
    _threshold("cluster_energy", "cluster energy threshold (in cluster_frame)"),
    Field("cluster_frame", "string", "frame of cluster_energy", default="lab",
          choices=("lab", "cms")),
    _angles("cluster_theta", f"{_POLAR} of the clusters", default=(0.0, 180.0)),
    _threshold("energy_sum", "lab energy sum of the clusters inside energy_sum_theta must "
               "exceed this"),
    Field("max_energy_sum", "number", "... and stay below this (> energy_sum)",
          default=float("inf"), default_note=_NO_LIMIT, unit="GeV", lo=0.0),
    _angles("energy_sum_theta", f"{_POLAR} of the energy sum", default=(0.0, 180.0)),
    _count("muons", "tracks with muon-system hits and p > muon_p"),
    _threshold("muon_p", "momentum threshold of those tracks"),
    _width("track_width", "the track_pt and track_p thresholds"),
    _width("cluster_width", "the cluster_energy threshold"),
    _width("energy_sum_width", "the energy_sum threshold"),
    _count("other_clusters", "clusters anywhere with lab E > other_cluster_energy (a second "
           "count)"),
    _at_most("max_other_clusters", "other_clusters"),
    _threshold("other_cluster_energy", "threshold of the second count"),
    Field("prescale", "integer", "keep one event in `prescale` of those that fire",
          default=1, lo=1, hi=10**6),
    Field("vetoes", "string list", "trigger patterns that suppress the line",
          default=(), min_length=0, choices_ref=_PATTERNS),
    Field("patterns", "string list", "trigger patterns the line requires",
          default=(), min_length=0, choices_ref=_PATTERNS),
)  # fmt: skip

PATTERN_FIELDS = (
    Field("energy_low", "number", "both clusters above this CM energy",
          unit="GeV", lo=0.0, lo_open=True, hi=20.0),
    Field("energy_high", "number", "one cluster above this CM energy (≥ energy_low)",
          unit="GeV", lo=0.0, hi=20.0, lo_ref="energy_low"),
    Field("delta_phi", "interval", "range of the CM azimuthal difference",
          unit=_DEG, lo=0.0, hi=360.0),
    Field("theta_sum", "interval", "range of the sum of the CM polar angles",
          unit=_DEG, lo=0.0, hi=360.0),
)  # fmt: skip

MUON_FIELDS = (
    Field("coil_radius", "number", "tracks must reach this radius to leave the solenoid",
          unit="mm", lo=0.0, lo_open=True, hi=10000.0),
    _angles("theta_range", f"{_POLAR} of the muon system"),
    Field("layers", "integer", "detector layers (the first one in front of the absorber)",
          lo=1, hi=100),
    Field("absorber", "number", "absorber between two layers (normal incidence)",
          unit="mm", lo=0.0, lo_open=True, hi=1000.0),
    Field("energy_loss", "number", "energy a muon loses in front of the first layer",
          unit="GeV", lo=0.0, hi=5.0),
    Field("absorber_dedx", "number", "muon energy loss in the absorber",
          unit="GeV/mm", lo=0.0, lo_open=True, hi=1.0),
    Field("interaction_length", "number", "nuclear interaction length of the absorber",
          unit="mm", lo=0.0, lo_open=True, hi=10000.0),
    Field("hadron_survival", "number", "probability a hadron crosses the calorimeter and coil "
          "unabsorbed", lo=0.0, hi=1.0),
    Field("min_layers", "integer", "layers with hits for a track match (trigger, muon ID)",
          lo=1, hi=100, hi_ref="layers"),
)  # fmt: skip

BACKGROUND_FIELDS = (
    Field("photons", "number", "mean number of background clusters per event",
          lo=0.0, hi=200.0),
    Field("photon_energy", "numbers", "[minimum, exponential slope > 0] of the cluster "
          "energy", unit="GeV", lo=0.0, length=2),
    Field("photon_theta_edges", "number list", "polar-angle bin edges of the clusters",
          unit=_DEG, lo=0.0, hi=180.0, increasing=True, min_length=2),
    Field("photon_theta_weights", "number list", "relative rate per bin (one per bin, not "
          "all 0)", lo=0.0),
    Field("tracks", "number", "mean number of background tracks per event", lo=0.0, hi=100.0),
    Field("track_pt", "numbers", "[minimum, exponential slope > 0] of the track pT",
          unit="GeV", lo=0.0, length=2),
    Field("track_d0", "number", "Gaussian spread of the impact parameter",
          unit="mm", lo=0.0, hi=1000.0),
    Field("track_z0", "number", "Gaussian spread of z0", unit="mm", lo=0.0, hi=5000.0),
)  # fmt: skip

#: Top-level tables of a detector card (absent optional ones: see detector/config.py).
TOP_FIELDS = (
    Field("detector", "table", "[detector]: the experiment"),
    Field("beams", "table", "[beams]: the collider"),
    Field("calorimeter", "table", "[calorimeter]"),
    Field("tracking", "table", "[tracking]"),
    Field("vertexing", "table", "[vertexing] (absent: every vertex fit succeeds)", default={}),
    Field("pid", "table", "[pid] (absent: every track is called a pion)", default={}),
    Field("material", "table", "[material] (absent: no material simulated)", default={}),
    Field("trigger_pattern", "table", "[trigger_pattern.<name>]", default={}),
    Field("trigger", "table", "[trigger.<line>] (absent: no trigger bit written)", default={}),
    Field("muon", "table", "[muon] (absent: no muon system)", default={}),
    Field("background", "table", "[background.<condition>] (absent: no overlay possible)",
          default={}),
)  # fmt: skip

#: Detector card section (dotted TOML path, placeholders for author-chosen names) -> fields,
#: in the order the guide lists them ("" is the card's top level).
DETECTOR_SCHEMA: dict[str, tuple[Field, ...]] = {
    "": TOP_FIELDS,
    "detector": DETECTOR_FIELDS,
    "beams": BEAMS_FIELDS,
    "tracking": TRACKING_FIELDS,
    "vertexing": VERTEXING_FIELDS,
    "calorimeter": CALORIMETER_FIELDS,
    "calorimeter.theta_regions": THETA_REGION_FIELDS,
    "calorimeter.region": _named(
        "<region>", "overrides of one region of [calorimeter.theta_regions]", default={}
    ),
    "calorimeter.region.<region>": REGION_FIELDS,
    "material": MATERIAL_FIELDS,
    "material.layers": LAYER_FIELDS,
    "pid": PID_FIELDS,
    "pid.regions": _named("<region>", "one polar region's PID matrices"),
    "pid.regions.<region>": PID_REGION_FIELDS,
    "trigger": _named("<line>", "one trigger line: all its conditions must hold"),
    "trigger.<line>": TRIGGER_LINE_FIELDS,
    "trigger_pattern": _named(
        "<name>",
        "a back-to-back cluster pair in the CM frame (e.g. a Bhabha veto), named by the "
        "lines' vetoes and patterns",
    ),
    "trigger_pattern.<name>": PATTERN_FIELDS,
    "muon": MUON_FIELDS,
    "background": _named(
        "<condition>",
        "beam-background overlay of one machine condition (the run card's [background] "
        "condition picks one)",
    ),
    "background.<condition>": BACKGROUND_FIELDS,
}
#: Section -> {key: Field}, what detector/config.py reads through.
FIELDS = {section: field_map(fields) for section, fields in DETECTOR_SCHEMA.items()}

#: The run card's [background] (read by detector/config.select_background): which condition
#: of the detector card is overlaid, and how strongly.
RUN_BACKGROUND_FIELDS = (
    Field("enabled", "boolean", "false switches the overlay off", default=True),
    Field("condition", "string", "the [background.<condition>] of the detector card overlaid",
          choices_ref="the detector card's [background.<condition>] names",
          default_ref="the first of them"),
    Field("scale", "number", "multiplicities × scale (e.g. for another luminosity)",
          default=1.0, lo=0.0, hi=100.0),
)  # fmt: skip
RUN_BACKGROUND = field_map(RUN_BACKGROUND_FIELDS)
