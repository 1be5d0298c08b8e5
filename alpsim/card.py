"""Run cards: one TOML file per study, validated into typed objects before any event exists.

A run card names an experiment's detector card (shipped name such as "belle2", or a path
relative to the run card) instead of copying its numbers. Layout:

    [run]      events, seed, chunk_size, output, detector, and optionally sqrt_s (GeV) or
               resonance (particle name) to run the collider at another nominal √s, and
               material = false to switch off the detector card's material stage
    [channel]  name, then the channel's own options (see each channel's `from_card`)
    [output]   truth = "signal" (default) | "full" | "none": the truth record written with
               the events; detail = "analysis" (default) | "full": "full" adds the expert
               fields (detector/writers/table.py)
    [alp]      mass (GeV), and either
               ctau (mm) or width (GeV) with [alp.decays] final state = BR (summing to 1), or
               [alp.couplings] (BNT17 convention, see generator/alp/couplings.py) with an
               optional `generate = [final states]` (default: every open one)
    [background]  optional beam-background overlay: condition (a [background.<condition>]
               of the detector card), scale, enabled (detector/config.select_background)

The type, unit, range, default and meaning of each field are declared once (alpsim/card_schema.py
and the modules it names) and read here through `Field.read`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import hepunits as u
import numpy as np
from particle import Particle

from .card_schema import ALP, CHANNEL, COUPLINGS, DECAYS, OUTPUT, RUN, RUN_TOP
from .detector.config import DetectorSettings, load_detector, select_background, shipped_card
from .detector.writers.table import DEFAULT_DETAIL, DEFAULT_TRUTH
from .generator.alp import AlpModel, C_from_g_agamma, C_WW_from_g_aW, Couplings
from .generator.alp_decays import (
    SUPPORTED,
    expand_final_states,
    final_state_threshold,
    parse_final_state,
)
from .generator.channels import CHANNELS
from .generator.channels.base import AlpSettings, Channel
from .generator.lifetime import LifetimeSampling
from .pdg import HBARC_GEV_MM
from .selection import Selection, parse_selection
from .toml_fields import CardError, Table, load_toml


@dataclass(frozen=True)
class RunSettings:
    events: int
    seed: int
    chunk_size: int
    output: str | None
    ctau_weights: tuple[float, ...]  # mm: a named lifetime weight per value
    sqrt_s: float | None  # nominal √s override (GeV); None: the detector card's beams
    material: bool = True  # False: no material stage even if the detector card enables it


@dataclass(frozen=True)
class OutputSettings:
    truth: str = DEFAULT_TRUTH  # truth record written: "signal", "full" or "none"
    detail: str = DEFAULT_DETAIL  # "analysis" or "full" (adds the expert fields)


@dataclass(frozen=True)
class RunCard:
    """A validated run card, with its text (kept in every output's metadata)."""

    path: str
    text: str
    run: RunSettings
    channel: Channel
    alp: AlpSettings
    detector: DetectorSettings
    selection: Selection
    data: dict  # the parsed card, for variations (scans)
    output: OutputSettings = OutputSettings()


def _collision_energy(t: Table) -> float | None:
    """Optional nominal √s of the run: `sqrt_s` in GeV, or `resonance` by particle name."""
    if t.has("sqrt_s") and t.has("resonance"):
        raise t.error("sqrt_s", "give either sqrt_s (GeV) or resonance (a particle name), not both")
    if t.has("resonance"):
        name = RUN["resonance"].read(t)
        try:
            return Particle.from_name(name).mass * u.MeV / u.GeV
        except Exception:
            raise t.error(
                "resonance",
                f"= {name!r} is not a particle name known to `particle` "
                "(e.g. 'J/psi(1S)', 'psi(2S)', 'Upsilon(4S)')",
            ) from None
    return RUN["sqrt_s"].read(t)


def _sampling(t: Table, ctau: float) -> LifetimeSampling:
    """`alp.decay_range = [L_min, L_max]` (mm, lab flight distance) forces decays there."""
    if not t.has("decay_range"):
        return LifetimeSampling("exponential", ctau)
    lo, hi = ALP["decay_range"].read(t)
    if not hi > lo:
        raise t.error("decay_range", f"= [{lo:g}, {hi:g}] must have L_max > L_min (mm)")
    return LifetimeSampling("forced", ctau, lab_range=(lo, hi))


def _run(t: Table) -> tuple[RunSettings, str]:
    settings = RunSettings(
        events=RUN["events"].read(t),
        seed=RUN["seed"].read(t),
        chunk_size=RUN["chunk_size"].read(t),
        output=RUN["output"].read(t),
        ctau_weights=RUN["ctau_weights"].read(t),
        sqrt_s=_collision_energy(t),
        material=RUN["material"].read(t),
    )
    detector = RUN["detector"].read(t)
    t.done()
    return settings, detector


#: Card names of the couplings in [alp.couplings] (BNT17 convention, generator/alp/couplings.py).
COUPLING_KEYS = (
    "C_WW",
    "C_BB",
    "C_GG",
    "c_ee",
    "c_mumu",
    "c_tautau",
    "c_uu",
    "c_dd",
    "c_ss",
    "c_cc",
    "c_bb",
    "c_tt",
    "c_taumu",
    "c_taue",
    "c_chi",
)
#: Shortcuts: g_agg and g_aW in GeV⁻¹ (set C_BB and C_WW), universal lepton and quark couplings.
COUPLING_SHORTCUTS = ("g_agg", "g_aW", "c_ll", "c_qq")


#: Scale, basis and running of [alp.couplings] (generator/alp/running.py).
COUPLING_SETTINGS = ("Lambda", "m_chi", "scale", "basis", "running")


def card_couplings(t: Table, mass: float | None = None) -> Couplings:
    """[alp.couplings]: couplings with Λ (GeV), or the g_aγγ / g_aW shortcuts, given at
    ``scale`` (GeV, default Λ; not below the ALP ``mass``) in ``basis`` ("BNT17": Bauer–Neubert–
    Thamm arXiv:1708.00443, C_XX with g_X² C_XX a/Λ; "BNRST20": arXiv:2012.12272, the card's
    C_GG, C_WW, C_BB read as c_XX with α_X/(4π) c_XX a/Λ, i.e. C_XX = c_XX/(16π²)) and run to
    each process with ``running`` ("numerical", "leading-log" or "none")."""
    t.only(*COUPLING_KEYS, *COUPLING_SHORTCUTS, *COUPLING_SETTINGS)
    lam = COUPLINGS["Lambda"].read(t)
    basis = COUPLINGS["basis"].read(t)
    running = COUPLINGS["running"].read(t)
    scale = COUPLINGS["scale"].read(t)
    if scale is not None and mass is not None and scale < mass:
        raise t.error(
            "scale",
            f"= {scale!r} GeV is below the ALP mass {mass!r} GeV: couplings run down to the "
            "process scale, so they must be given at or above m_a",
        )
    if scale is None and mass is not None and lam < mass and running != "none":
        raise t.error(
            "Lambda",
            f"= {lam!r} GeV is below the ALP mass {mass!r} GeV: the couplings are given at Λ "
            "unless 'scale' says otherwise, and they run down to m_a",
        )
    values = {k: COUPLINGS[k].read(t) for k in COUPLING_KEYS if t.has(k)}
    if basis == "BNRST20":
        for k in ("C_GG", "C_WW", "C_BB"):
            if k in values:
                values[k] /= 16.0 * np.pi**2
    for short, fields in (
        ("c_ll", ("c_ee", "c_mumu", "c_tautau")),
        ("c_qq", ("c_uu", "c_dd", "c_ss", "c_cc", "c_bb", "c_tt")),
    ):
        if t.has(short):
            clash = [f for f in fields if f in values]
            if clash:
                raise t.error(short, f"cannot be combined with {clash[0]}")
            values.update(dict.fromkeys(fields, COUPLINGS[short].read(t)))
    if t.has("g_agg"):
        if "C_BB" in values:
            raise t.error("g_agg", "cannot be combined with C_BB (g_agg sets it)")
        values["C_BB"] = C_from_g_agamma(COUPLINGS["g_agg"].read(t), lam)
    if t.has("g_aW"):
        if "C_WW" in values:
            raise t.error("g_aW", "cannot be combined with C_WW (g_aW sets it)")
        values["C_WW"] = C_WW_from_g_aW(COUPLINGS["g_aW"].read(t), lam)
    m_chi = COUPLINGS["m_chi"].read(t)
    if not any(v != 0.0 for v in values.values()):
        raise CardError(t.path, "all couplings are zero: the ALP would never decay", t.source)
    t.done()
    return Couplings(**values, m_chi=m_chi, Lambda=lam, scale=scale, basis=basis, running=running)


def _check_generatable(t: Table, key: str, mass: float) -> None:
    try:
        parse_final_state(key)
    except ValueError:
        allowed = ", ".join(repr(s) for s in SUPPORTED)
        raise t.error(
            key,
            f"is not a final state alpsim generates; allowed: {allowed}, or compound "
            "'tau+ tau- [<tau+ mode>; <tau- mode>]'",
        ) from None
    threshold = final_state_threshold(key)
    if mass <= threshold:
        raise t.error(
            key, f"is closed: alp.mass = {mass!r} GeV is below the threshold {threshold:.4f} GeV"
        )


def _alp(t: Table, max_mass: float, channel: str) -> AlpSettings:
    """[alp]: mass, then either ctau/width + [alp.decays] BRs, or [alp.couplings] (+ generate)."""
    mass = ALP["mass"].read(t)  # bounds: alpsim/card_schema.py
    if mass >= max_mass:
        raise t.error(
            "mass",
            f"= {mass!r} GeV is kinematically forbidden for {channel}: "
            f"must be < {max_mass:.4f} GeV",
        )
    if t.has("couplings"):
        for key in ("ctau", "width", "decays"):
            if t.has(key):
                raise t.error(
                    key,
                    "cannot be combined with [alp.couplings]: the couplings "
                    "fix the lifetime and branching fractions (use alp.generate to "
                    "choose the final states to generate)",
                )
        couplings = card_couplings(ALP["couplings"].read(t), mass)
        model = AlpModel.from_couplings(mass, couplings)
        brs = {k: float(v) for k, v in model.branching_fractions.items()}
        generate = ALP["generate"].read(t)
        if generate is None:
            generate = [k for k, v in brs.items() if v > 0 and k in SUPPORTED]
        if not generate:
            raise t.error("generate", "no final state to generate")
        for key in generate:
            _check_generatable(t, key, mass)
            if brs.get(key, 0.0) <= 0.0:
                raise t.error("generate", f"final state {key!r} has zero width for these couplings")
        tau_modes = ALP["tau_modes"].read(t)
        expanded = expand_final_states({k: brs[k] for k in generate}, mass, tau_modes)
        total = sum(expanded.values())
        sampling = _sampling(t, model.ctau)
        t.done()
        return AlpSettings(
            mass=mass,
            ctau=model.ctau,
            decays={k: v / total for k, v in expanded.items()},
            branching_fractions=brs,
            couplings=couplings,
            sampling=sampling,
            generated_branching_fraction=total,
        )
    if t.has("ctau") and t.has("width"):
        raise t.error("ctau", "give either ctau (mm) or width (GeV), not both")
    if t.has("width"):
        width = ALP["width"].read(t)
        ctau = HBARC_GEV_MM / width
    else:
        ctau = ALP["ctau"].read(t)
    decays_table = ALP["decays"].read(t)
    decays = {}
    for key in list(decays_table.data):
        _check_generatable(decays_table, key, mass)
        decays[key] = DECAYS["<final state>"].read(decays_table, key)
    decays_table.done()
    if not decays or abs(sum(decays.values()) - 1.0) > 1e-6:
        raise CardError(
            decays_table.path,
            f"branching fractions {decays} must sum to 1, got {sum(decays.values()):.6g}",
            t.source,
        )
    sampling = _sampling(t, ctau)
    tau_modes = ALP["tau_modes"].read(t)
    t.done()
    expanded = expand_final_states({k: v for k, v in decays.items() if v > 0}, mass, tau_modes)
    total = sum(expanded.values())
    return AlpSettings(
        mass=mass,
        ctau=ctau,
        decays={k: v / total for k, v in expanded.items()},
        sampling=sampling,
        generated_branching_fraction=total,
    )


def _check_threshold(detector: DetectorSettings, channel: Channel, name: str, path: Path) -> None:
    """A collider energy below the channel's threshold (beyond 5σ of the √s spread) is a card
    error, not a run-time failure."""
    b = detector.beams
    sqrt_s, _ = b.nominal_cms()
    spread = float(np.hypot(b.e_minus_energy_spread, b.e_plus_energy_spread))
    if channel.min_sqrt_s > sqrt_s + 5.0 * spread:
        raise CardError(
            "run.sqrt_s",
            f"the collider runs at sqrt(s) = {sqrt_s:.4f} GeV (±{spread * 1e3:.1f} MeV), below "
            f"the threshold {channel.min_sqrt_s:.4f} GeV of {name}",
            str(path),
        )


def resolve_detector(reference: str, card_path: Path) -> Path:
    """A detector card by shipped name ('belle2') or by path relative to the run card."""
    candidate = (
        (card_path.parent / reference) if not Path(reference).is_absolute() else Path(reference)
    )
    if candidate.suffix == ".toml" and candidate.is_file():
        return candidate
    shipped = shipped_card(reference)
    if shipped.is_file():
        return shipped
    raise CardError(
        "run.detector",
        f"= {reference!r}: no shipped detector card of that name "
        "(belle2, babar, bes3, belle) and no such file",
        str(card_path),
    )


def load_card(path: str | Path, overrides: Mapping[str, object] | None = None) -> RunCard:
    """Read and validate a run card and the detector card it names; `overrides` changes
    fields by dotted path first (see `apply_overrides`)."""
    path = Path(path)
    data, text = load_toml(path)
    if overrides:
        data, text = _overridden(data, text, overrides, str(path))
    return card_from_data(data, text, path)


def _toml_value(value: object, field: str, source: str) -> object:
    """A Python value as the TOML reader would give it (numpy scalars become Python ones)."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, (tuple, list)):
        return [_toml_value(v, field, source) for v in value]
    if isinstance(value, dict):
        return {str(k): _toml_value(v, field, source) for k, v in value.items()}
    if value is None or not isinstance(value, (bool, int, float, str)):
        raise CardError(
            field, f"= {value!r} is not a card value (number, string, bool, array)", source
        )
    return value


def _overridden(
    data: dict, text: str, overrides: Mapping[str, object], source: str
) -> tuple[dict, str]:
    """Card data with fields set by dotted path (missing tables are created), and the card
    text with the overrides appended as TOML comments, so every output records them."""
    import copy
    import json

    if not isinstance(overrides, Mapping):
        raise TypeError(
            f"overrides must be a mapping of dotted card paths to values, "
            f"got {type(overrides).__name__}"
        )
    data = copy.deepcopy(data)
    lines = []
    for key, value in overrides.items():
        if not isinstance(key, str) or not key or any(not part for part in key.split(".")):
            raise CardError(str(key), "is not a dotted card path such as 'alp.mass'", source)
        parts = key.split(".")
        node = data
        for i, part in enumerate(parts[:-1]):
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise CardError(".".join(parts[: i + 1]), "is a value, not a table", source)
        node[parts[-1]] = _toml_value(value, key, source)
        lines.append(f"# override: {key} = {json.dumps(node[parts[-1]])}")
    return data, text.rstrip("\n") + "\n" + "\n".join(lines) + "\n"


def apply_overrides(card: RunCard, overrides: Mapping[str, object]) -> RunCard:
    """The card with fields changed by dotted path, e.g. {"alp.mass": 2.0, "alp.ctau": 10.0},
    validated exactly as a card file with those values would be (same CardError messages)."""
    data, text = _overridden(card.data, card.text, overrides, card.path)
    return card_from_data(data, text, Path(card.path))


def card_from_data(data: dict, text: str, path: Path) -> RunCard:
    """Validate parsed card data (used directly by scans, which vary alp.mass)."""
    top = Table(data, "", source=str(path))
    top.only(*RUN_TOP)
    run, detector_ref = _run(RUN_TOP["run"].read(top))
    try:
        detector = load_detector(resolve_detector(detector_ref, path))
    except CardError as exc:
        raise CardError("run.detector", str(exc), str(path)) from None
    if run.sqrt_s is not None:
        detector = replace(detector, beams=detector.beams.at_sqrt_s(run.sqrt_s))
    if not run.material:
        detector = replace(detector, material=replace(detector.material, enabled=False))
    if top.has("background"):  # beam-background overlay (detector/background.py)
        detector = select_background(detector, RUN_TOP["background"].read(top))
    channel_table = RUN_TOP["channel"].read(top)
    name = CHANNEL["name"].read(channel_table)
    channel_cls = CHANNELS[name]
    alp = _alp(RUN_TOP["alp"].read(top), channel_cls.max_alp_mass(detector.beams), name)
    channel = channel_cls.from_card(channel_table, alp, detector.beams)
    channel_table.done()
    _check_threshold(detector, channel, name, path)
    selection = parse_selection(RUN_TOP["selection"].read(top))
    output = _output(RUN_TOP["output"].read(top))
    top.done()
    return RunCard(str(path), text, run, channel, alp, detector, selection, data, output)


def _output(t: Table) -> OutputSettings:
    """[output]: what is written besides the reconstructed columns."""
    settings = OutputSettings(
        truth=OUTPUT["truth"].read(t),
        detail=OUTPUT["detail"].read(t),
    )
    t.done()
    return settings
