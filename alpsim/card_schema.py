"""The declared card schema: every field of every section of a run card and of a detector
card once, with its type, unit, allowed range, default and meaning.

The run card's [run], [alp], [alp.decays], [alp.couplings], [channel] name and [output] are
declared here; [selection] beside its reader (alpsim/selection.py), [background] and the
detector card's sections in detector/card_fields.py, [beams] in generator/beams.py and each
channel's [channel] options in its module (`OPTIONS`). The validators read every field through
`Field.read` (alpsim/toml_fields.py), so the range a card is checked against is the range
declared; the user guide's card reference (docs/gen_card_reference.py) prints these tables, and
tests/test_docs.py fails when a shipped card holds an undeclared field, a declared field is never
read or a validator reads a field without its declaration. Conditions that tie fields together
(ctau or width or couplings; the ALP mass below the channel's limit) stay in the validators and
are stated in `needs` and the descriptions.
"""

from __future__ import annotations

import sys

from .detector.card_fields import DETECTOR_SCHEMA, RUN_BACKGROUND_FIELDS
from .detector.writers.table import DEFAULT_DETAIL, DEFAULT_TRUTH, DETAIL_CHOICES, TRUTH_CHOICES
from .generator.alp.running import BASES, RUNNING
from .generator.channels import CHANNELS
from .generator.tau_decays import TAU_MODES
from .selection import CUT_FIELDS, MASS_WINDOW_FIELDS, SELECTION_FIELDS
from .toml_fields import Field, field_map

MAX_CHUNK = 10_000_000
#: Below 0.1 MeV the mass of a lab four-vector of a few GeV loses its precision in double
#: arithmetic (m²/E² ~ 1e-9); the ALP model covers 1 MeV to 10 GeV.
MIN_ALP_MASS = 1e-4  # GeV
MAX_COUPLING = 1e8  # |C| or |c|: larger values overflow nothing useful
MAX_CTAU_WEIGHTS = 1000

RUN_FIELDS = (
    Field("events", "integer", "number of events to generate (the CLI's -n overrides it)",
          lo=1, hi=10**12),
    Field("seed", "integer", "random seed: the same card and seed give the same events",
          lo=0, hi=2**63 - 1),
    Field("detector", "string", "detector card: a shipped name (belle2, belle, babar, bes3) or a "
          "path relative to the run card"),
    # 40,000 by measurement: peak RSS 458-470 MB against 677-693 MB at 1e5 for the default card,
    # the same CPU per event within 3 % (benchmarks/bench_memory.py --chunk-sizes)
    Field("chunk_size", "integer", "events generated and written per chunk (bounds the memory)",
          default=40_000, lo=1, hi=MAX_CHUNK),
    Field("output", "string", "output file NAME.parquet or dataset directory DIR/ (the CLI's -o "
          "overrides it)", default=None),
    Field("ctau_weights", "number list", "lifetimes cτ for which a weight column "
          "weight_ctau_<x>mm is written (reweighting the sample to that lifetime)",
          default=(), unit="mm", lo=0.0, lo_open=True, length=MAX_CTAU_WEIGHTS, min_length=0),
    Field("sqrt_s", "number", "run the collider at this nominal √s instead of the detector "
          "card's (both beam energies and spreads scaled by one factor); not with resonance",
          default=None, unit="GeV", lo=0.1, hi=20.0),
    Field("resonance", "string", "run at the mass of this particle (a name known to the "
          "`particle` package, e.g. \"Upsilon(4S)\", \"psi(2S)\"); not with sqrt_s",
          default=None),
    Field("material", "boolean", "false switches off the detector card's material stage",
          default=True),
)  # fmt: skip

_ALTERNATIVES = "one of ctau, width or [alp.couplings]"
ALP_FIELDS = (
    Field("mass", "number", "ALP mass; must also be below the channel's kinematic limit",
          unit="GeV", lo=MIN_ALP_MASS),
    Field("ctau", "number", "proper decay length cτ (model-independent ALP)",
          unit="mm", lo=0.0, lo_open=True, needs=_ALTERNATIVES),
    Field("width", "number", "total width Γ, giving cτ = ħc/Γ (model-independent ALP)",
          unit="GeV", lo=0.0, lo_open=True, needs=_ALTERNATIVES),
    Field("decays", "table", "[alp.decays]: final state = branching fraction (summing to 1) "
          "of a model-independent ALP", default={"gamma gamma": 1.0}),
    Field("couplings", "table", "[alp.couplings]: the ALP Lagrangian's couplings; they fix cτ "
          "and the branching fractions", needs=_ALTERNATIVES),
    Field("generate", "string list", "with [alp.couplings]: the final states to generate (their "
          "branching fractions renormalised to 1; their summed branching fraction enters "
          "the channel's normalisation)",
          default=None, default_note="every open final state"),
    Field("decay_range", "numbers", "[L_min, L_max]: force the decay inside this lab flight "
          "distance and weight each event by its probability (L_max > L_min)",
          unit="mm", lo=0.0, length=2, needs="optional (exponential decay when absent)"),
    Field("tau_modes", "string list", "τ decay modes generated for a → τ+τ−",
          default=TAU_MODES, choices=TAU_MODES, default_note="all"),
)  # fmt: skip

_COUPLING = "at `scale` in `basis`, dimensionless"
COUPLING_FIELDS = (
    Field("Lambda", "number", "new-physics scale Λ of the couplings C/Λ",
          default=1000.0, unit="GeV", lo=1.0, hi=1e19),
    Field("basis", "string", "\"BNT17\" (Bauer, Neubert, Thamm, JHEP 12 (2017) 044, "
          "arXiv:1708.00443): g_X² C_XX a/Λ; \"BNRST20\" (Bauer et al., JHEP 04 (2021) 063, "
          "arXiv:2012.12272): α_X/(4π) c_XX a/Λ, i.e. C_XX = c_XX/(16π²)",
          default="BNT17", choices=BASES),
    Field("running", "string", "how the couplings run from `scale` to each process",
          default="numerical", choices=RUNNING),
    Field("scale", "number", "scale at which the couplings are given (not below the ALP mass)",
          default=None, unit="GeV", lo=1e-3, hi=1e19, default_note="Λ"),
    Field("m_chi", "number", "mass of the dark fermion χ of a → χχ̄ (c_chi)",
          default=0.0, unit="GeV", lo=0.0, hi=100.0),
    *(Field(k, "number", f"{k}: coupling to {name} {_COUPLING}", default=None,
            lo=-MAX_COUPLING, hi=MAX_COUPLING, default_note="0")
      for k, name in (("C_WW", "the SU(2) gauge bosons W"), ("C_BB", "the hypercharge boson B"),
                      ("C_GG", "gluons"))),
    *(Field(f"c_{f}", "number", f"c_{f}: coupling to {name} {_COUPLING}", default=None,
            lo=-MAX_COUPLING, hi=MAX_COUPLING, default_note="0")
      for f, name in (("ee", "electrons"), ("mumu", "muons"), ("tautau", "τ leptons"),
                      ("uu", "u quarks"), ("dd", "d quarks"), ("ss", "s quarks"),
                      ("cc", "c quarks"), ("bb", "b quarks"), ("tt", "t quarks"),
                      ("taumu", "τμ (lepton-flavour violating)"),
                      ("taue", "τe (lepton-flavour violating)"), ("chi", "the dark fermion χ"))),
    Field("g_agg", "number", "shortcut: g_aγγ, sets C_BB (not with C_BB)",
          default=None, unit="1/GeV", lo=-1.0, hi=1.0),
    Field("g_aW", "number", "shortcut: g_aW, sets C_WW (not with C_WW)",
          default=None, unit="1/GeV", lo=-1.0, hi=1.0),
    Field("c_ll", "number", "shortcut: c_ee = c_mumu = c_tautau (not with those)",
          default=None, lo=-MAX_COUPLING, hi=MAX_COUPLING),
    Field("c_qq", "number", "shortcut: c_uu = c_dd = … = c_tt (not with those)",
          default=None, lo=-MAX_COUPLING, hi=MAX_COUPLING),
)  # fmt: skip

OUTPUT_FIELDS = (
    Field("truth", "string", "truth record written with the events: the signal decay chain, "
          "the full record, or none", default=DEFAULT_TRUTH, choices=TRUTH_CHOICES),
    Field("detail", "string", "\"full\" adds the expert fields (detector/writers/table.py: "
          "shower-shape moments, track covariances)",
          default=DEFAULT_DETAIL, choices=DETAIL_CHOICES),
)  # fmt: skip

DECAY_FIELDS = (
    Field("<final state>", "number", "branching fraction of this final state (together "
          "summing to 1)", lo=0.0, hi=1.0),
)  # fmt: skip
CHANNEL_FIELDS = (
    Field("name", "string", "the production channel; its options follow (per channel below)",
          choices=tuple(sorted(CHANNELS))),
)  # fmt: skip
RUN_TOP_FIELDS = (
    Field("run", "table", "[run]"),
    Field("channel", "table", "[channel]"),
    Field("alp", "table", "[alp]"),
    Field("background", "table", "[background]: beam-background overlay",
          needs="optional (no overlay when absent)"),
    Field("selection", "table", "[selection]: what \"efficiency\" means", default={}),
    Field("output", "table", "[output]", default={}),
)  # fmt: skip


def _channel_options(cls: type) -> tuple[Field, ...]:
    """A channel's declared [channel] options: `OPTIONS` of its module (or of a base class's)."""
    for c in cls.__mro__:
        options = getattr(sys.modules[c.__module__], "OPTIONS", None)
        if options is not None:
            return tuple(options.values())
    return ()


#: Channel name -> its declared [channel] options (besides `name`).
CHANNEL_OPTIONS: dict[str, tuple[Field, ...]] = {
    name: _channel_options(cls) for name, cls in sorted(CHANNELS.items())
}
#: Run card section (dotted TOML path; "" the top level, `<...>` author-chosen names) -> its
#: declared fields, in the order the guide lists them.
RUN_SCHEMA: dict[str, tuple[Field, ...]] = {
    "": RUN_TOP_FIELDS,
    "run": RUN_FIELDS,
    "channel": CHANNEL_FIELDS,
    "alp": ALP_FIELDS,
    "alp.decays": DECAY_FIELDS,
    "alp.couplings": COUPLING_FIELDS,
    "background": RUN_BACKGROUND_FIELDS,
    "selection": SELECTION_FIELDS,
    "selection.cuts": CUT_FIELDS,
    "selection.mass_window": MASS_WINDOW_FIELDS,
    "output": OUTPUT_FIELDS,
}
#: Both kinds of card: kind -> section -> fields.
SCHEMA: dict[str, dict[str, tuple[Field, ...]]] = {
    "run card": RUN_SCHEMA,
    "detector card": DETECTOR_SCHEMA,
}
RUN_TOP = field_map(RUN_TOP_FIELDS)
RUN = field_map(RUN_FIELDS)
ALP = field_map(ALP_FIELDS)
DECAYS = field_map(DECAY_FIELDS)
CHANNEL = field_map(CHANNEL_FIELDS)
COUPLINGS = field_map(COUPLING_FIELDS)
OUTPUT = field_map(OUTPUT_FIELDS)
