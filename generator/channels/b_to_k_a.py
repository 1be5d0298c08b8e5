"""B → K a at the Υ(4S): B± → K± a and B0 → K0_S a (K0_S → π+π−), plus the shared Υ(4S) machinery.

e+e− → Υ(4S) → BB̄, one B decaying to the signal, the other undecayed or decayed generically
(`other_b = "generic"`: its full decay chain from the EvtGen DEC file, generator/dec_tables.py
and generator/decay_chains.py, stored as the block's ragged part, record.Ragged; the card's
`dec_file` replaces the default DECAY_BELLE2.DEC).
Angular structure: Υ(4S) (J = 1, made with helicity ±1 along the beam axis by e+e−
annihilation) → BB̄ (spin 0) gives dN/dcosθ* ∝ |d¹_{±1,0}(θ*)|²
∝ sin²θ* about the e− direction in the CM frame (PDG Review "Clebsch-Gordan coefficients,
spherical harmonics, and d functions"); B → K a (all spin 0) is isotropic in the B rest frame.
B and B̄ decay in equal shares.

Υ(4S) → B+B− / B0B̄0: from EvtGen DECAY_BELLE2.DEC (0.5151 / 0.4831, i.e. 51.6 % of BB̄ pairs
charged). PDG 2024 (RPP, Υ(4S) listing) gives B+B− (51.4 ± 0.6) %, B0B̄0 (48.6 ± 0.6) %
[unverified: listing not opened]; the two agree within 0.4σ.

The channel "B0 -> K0S a" shares this module (a class option, not a separate file): its card
`branching_fraction` is BF(B0 → K0 a); K0 → K0_S (½) and K0_S → π+π− (DEC table) enter the
normalisation as `secondary_branching_fraction`. The K0_S flies from its PDG lifetime.

Peaking backgrounds (`background = "pi0" | "eta" | "eta'"`): the ALP is replaced by that meson
(PDG mass and width, non-relativistic Breit–Wigner truncated at ±20Γ), decaying to γγ,
normalised with BF(B → K P) (as `branching_fraction`) and BF(P → γγ) (as
`alp_branching_fraction`) from the DEC table; the [alp] section is then only validated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...pdg import ALP_PDG_ID
from ...pdg import mass as pdg_mass
from ...pdg import width as pdg_width
from ...record import DECAYED, Block
from ...toml_fields import CardError, Field, Table, field_map
from ..alp_decays import decay_alp
from ..beams import BeamDraw, BeamSettings
from ..builder import BlockBuilder
from ..dec_tables import b_meson_tables, check_dec_file
from ..decay_chains import decay_chains, to_ragged
from ..generic_b import dec_branching_fraction
from ..kinematics import boost, sample_cos_theta, two_body_decay, velocity
from . import rates
from .base import MODEL_INDEPENDENT, AlpSettings, generate_modes
from .normalisation import pdg_branching_fraction

UPSILON_4S, B_PLUS, B_ZERO, K_PLUS, K_SHORT, PI_PLUS, PI_ZERO = 300553, 521, 511, 321, 310, 211, 111

#: Reference mesons of the peaking backgrounds: card value → (PDG id, EvtGen name).
BACKGROUNDS = {"pi0": (111, "pi0"), "eta": (221, "eta"), "eta'": (331, "eta'")}
#: [channel] options of the Υ(4S) → BB̄, B → K(*) a channels, declared once (validator, guide).
OPTIONS = field_map((
    Field("branching_fraction", "number", "model-independent BF(B → K(*) a); not with "
          "[alp.couplings] (they fix it) or background", default=None, lo=0.0, lo_open=True,
          hi=1.0, needs=MODEL_INDEPENDENT),
    Field("other_b", "string", "the other B: left undecayed, or decayed generically by the "
          "EvtGen decay table", default="undecayed", choices=("undecayed", "generic")),
    Field("dec_file", "string", "EvtGen DEC file for the generic other B (path relative to "
          "the card)", default=None, default_note="DECAY_BELLE2.DEC of decaylanguage"),
    Field("background", "string", "generate the reference decay B → K P, P → γγ instead of "
          "the ALP (its measured BF normalises it)", default=None, choices=tuple(BACKGROUNDS)),
    Field("n_bb_pairs", "number", "BB̄ pairs of the data set, for the expected yield",
          default=None, lo=1.0),
))  # fmt: skip
#: Truncation of the background meson's Breit–Wigner, in widths.
MESON_BW_RANGE = 20.0


def upsilon_fraction(charged: bool) -> float:
    """Fraction of BB̄ pairs that are B+B− (charged) or B0B̄0 (PDG 2024, normalisation.py)."""
    pp = pdg_branching_fraction("Upsilon(4S)", ["B+", "B-"])
    zz = pdg_branching_fraction("Upsilon(4S)", ["B0", "anti-B0"])
    return (pp if charged else zz) / (pp + zz)


def meson_masses(rng: np.random.Generator, pdg: int, n: int) -> np.ndarray:
    """Masses of a narrow meson: Cauchy (non-relativistic BW, PDG mass and width) within ±20Γ."""
    m0, gamma = pdg_mass(pdg), pdg_width(pdg)
    if gamma <= 0:
        return np.full(n, m0)
    lim = math.atan(2.0 * MESON_BW_RANGE)
    return m0 + 0.5 * gamma * np.tan(rng.uniform(-lim, lim, n))


def meson_gg_fraction(background: str) -> float:
    """BF(P → γγ) of a background meson (PDG 2024, normalisation.py)."""
    return pdg_branching_fraction(BACKGROUNDS[background][1], ["gamma", "gamma"])


def upsilon_to_bb(
    rng: np.random.Generator, b: BlockBuilder, beams: BeamDraw, b_pdg: int
) -> tuple[int, int]:
    """Add Υ(4S) → B(b_pdg) B̄ with sin²θ* about the e− axis; return (signal B, other B)."""
    upsilon = b.add(UPSILON_4S, beams.total, role="upsilon")
    axis = boost(beams.e_minus, -velocity(beams.total))[:, :3]
    m_b = pdg_mass(abs(b_pdg))
    p_sig, p_other = two_body_decay(
        rng, b.p4(upsilon), m_b, m_b, cos_theta=sample_cos_theta(rng, b.n, -1.0), axis=axis
    )
    sig = b.add(b_pdg, p_sig, mother=upsilon, role="signal_parent")
    other = b.add(-b_pdg, p_other, mother=upsilon, role="other_b")
    return sig, other


def attach_other_b(
    rng: np.random.Generator, block: Block, slot: int, dec_file: str | None = None
) -> None:
    """Decay the other B (template slot `slot`) of every event through its full chain from the
    DEC file and store the descendants as the block's ragged part (in place; the slot becomes
    status 2). B0–B̄0 mixing is ignored: the B decays as the flavour it was produced with."""
    tables = b_meson_tables(dec_file)
    species = np.full(block.n_events, tables.species(int(block.pdg[slot])), dtype=np.int64)
    chains = decay_chains(rng, tables, species, block.p4[:, slot], block.vertex[:, slot])
    block.status = block.status.copy()
    block.status[slot] = DECAYED
    block.rest = to_ragged(chains, slot, block.n_particles)


def _dec_file(table: Table, value: str, other_b: str) -> str:
    """The card's `dec_file`: an existing EvtGen DEC file (relative to the card) that
    decaylanguage parses and that decays B+, B−, B0 and B̄0 (CardError naming the field)."""
    if other_b != "generic":
        raise table.error("dec_file", f"= {value!r} is only used with other_b = 'generic'")
    path = Path(value).expanduser()
    if not path.is_absolute() and table.source:
        path = Path(table.source).parent / path
    try:
        check_dec_file(path)
    except ValueError as exc:
        raise table.error("dec_file", f"= {value!r}: {exc}") from None
    return str(path.resolve())


@dataclass(frozen=True)
class SubMode:
    """A decay chain of the signal meson: label and product of its secondary BFs."""

    key: str
    secondary_bf: float


class UpsilonBChannel:
    """Shared base of the Υ(4S) → BB̄, B → K(*) X channels (one class per card name)."""

    name = ""
    charged = True  # B+B− (True) or B0B̄0 (False)
    parent_label = "B+"

    def __init__(
        self,
        alp: AlpSettings,
        branching_fraction: float,
        bf_source: str = "card",
        other_b: str = "undecayed",
        background: str | None = None,
        n_bb_pairs: float | None = None,
        dec_file: str | None = None,
    ) -> None:
        self.alp = alp
        self.dec_file = dec_file
        self.branching_fraction = branching_fraction
        self.bf_source = bf_source
        self.other_b = other_b
        self.background = background
        self.n_bb_pairs = n_bb_pairs

    # ---- card -----------------------------------------------------------------------------
    @classmethod
    def from_card(cls, table: Table, alp: AlpSettings, beams: BeamSettings) -> UpsilonBChannel:
        """Options: `branching_fraction` (model-independent BF, required unless [alp.couplings]
        or `background` is given), `other_b` ("undecayed" | "generic"), `background`
        ("pi0" | "eta" | "eta'"), `n_bb_pairs` (BB̄ pairs of the data set, for n_parents),
        `dec_file` (an EvtGen DEC file for the generic other B, path relative to the card;
        default DECAY_BELLE2.DEC of decaylanguage)."""
        other_b = OPTIONS["other_b"].read(table)
        dec_file = OPTIONS["dec_file"].read(table)
        if dec_file is not None:
            dec_file = _dec_file(table, dec_file, other_b)
        background = OPTIONS["background"].read(table)
        n_bb = OPTIONS["n_bb_pairs"].read(table)
        has_bf = table.has("branching_fraction")
        bf = OPTIONS["branching_fraction"].read(table)
        if background is not None:
            if has_bf:
                raise table.error(
                    "branching_fraction",
                    "cannot be combined with background: "
                    "the measured BF of the reference process is used",
                )
            bf = cls.background_bf(background)
            source = "EvtGen DECAY_BELLE2.DEC: BF(B -> K P); BF(P -> gamma gamma) in alp_b.f."
        elif alp.couplings is not None:
            if has_bf:
                raise table.error(
                    "branching_fraction",
                    "cannot be combined with [alp.couplings]: the couplings fix BF(B -> K a)",
                )
            bf = cls.coupling_bf(alp)
            source = (
                "couplings: g_bs = W loop (ILS eq. 4) + top loop (BNRST20), "
                "form factors BZ05 (f0) / BSZ15 (A0)"
            )
        else:
            if bf is None:
                raise table.error(
                    "branching_fraction",
                    "is required for a model-independent "
                    "ALP (no [alp.couplings]): give BF(B -> K a), e.g. 1e-6",
                )
            source = "card (model independent)"
        return cls(alp, bf, source, other_b, background, n_bb, dec_file)

    @classmethod
    def coupling_bf(cls, alp: AlpSettings) -> float:
        return rates.bf_b_to_k_a(alp.couplings, alp.mass, charged=cls.charged)

    @classmethod
    def background_bf(cls, background: str) -> float:
        raise NotImplementedError

    # ---- kinematics -----------------------------------------------------------------------
    @property
    def b_pdg(self) -> int:
        return B_PLUS if self.charged else B_ZERO

    @property
    def min_sqrt_s(self) -> float:
        """Production threshold 2 m_B: beam-energy tails below it make no event."""
        return 2.0 * pdg_mass(self.b_pdg)

    def submodes(self) -> list[SubMode]:
        """Decay chains of the signal K(*) (one block each)."""
        raise NotImplementedError

    def add_signal(
        self, rng: np.random.Generator, b: BlockBuilder, sig: int, sign: int, key: str, m_x
    ) -> int:
        """Add the K(*) and the ALP (mass m_x per event) from the signal B; return the ALP."""
        raise NotImplementedError

    def mode_label(self, sign: int, key: str) -> str:
        raise NotImplementedError

    def final_states(self) -> dict[str, float]:
        """ALP final states and their generation fractions (γγ for a background meson)."""
        if self.background is not None:
            return {"gamma gamma": 1.0}
        return {k: v for k, v in self.alp.decays.items() if v > 0}

    def modes(self) -> list[tuple[int, SubMode, str, float]]:
        """(B sign, sub-mode, ALP final state, fraction) of every block."""
        subs = self.submodes()
        norm = sum(s.secondary_bf for s in subs)
        return [
            (sign, s, fs, 0.5 * s.secondary_bf / norm * br)
            for sign in (+1, -1)
            for s in subs
            for fs, br in self.final_states().items()
        ]

    def generate(self, rng: np.random.Generator, beams: BeamDraw) -> list[Block]:
        modes = self.modes()

        def make(rng: np.random.Generator, part: BeamDraw, i: int) -> Block:
            sign, sub, fs, _ = modes[i]
            return self._block(rng, part, sign, sub, fs)

        return generate_modes(rng, beams, [m[3] for m in modes], make)

    def _block(self, rng, beams: BeamDraw, sign: int, sub: SubMode, fs: str) -> Block:
        b = BlockBuilder(beams)
        sig, other_b = upsilon_to_bb(rng, b, beams, sign * self.b_pdg)
        if self.background is None:
            m_x = np.full(b.n, self.alp.mass)
        else:
            m_x = meson_masses(rng, BACKGROUNDS[self.background][0], b.n)
        x = self.add_signal(rng, b, sig, sign, sub.key, m_x)
        decay_alp(rng, b, x, fs, self.alp.couplings)
        label = self.mode_label(sign, sub.key)
        mode = f"{label}; {self.x_name} -> {fs}"
        ctau = self.alp.ctau if self.background is None else None
        block = b.build(rng, mode, alp_ctau_mm=ctau)
        if self.other_b == "generic":
            attach_other_b(rng, block, other_b, self.dec_file)
        return block

    @property
    def x_name(self) -> str:
        return "a" if self.background is None else self.background

    @property
    def x_pdg(self) -> int:
        return ALP_PDG_ID if self.background is None else BACKGROUNDS[self.background][0]

    # ---- normalisation --------------------------------------------------------------------
    def normalisation(self) -> dict[str, object]:
        per_pair = 2.0 * upsilon_fraction(self.charged)
        secondary = sum(s.secondary_bf for s in self.submodes())
        out: dict[str, object] = {
            "kind": "branching_fraction",
            "parent": self.parent_label,
            "branching_fraction": self.branching_fraction,
            "branching_fraction_source": self.bf_source,
            "secondary_branching_fraction": secondary,
            "n_parents_per_bb_pair": per_pair,
            "n_bb_pairs": self.n_bb_pairs,
            "n_parents": None if self.n_bb_pairs is None else self.n_bb_pairs * per_pair,
            "alp_branching_fraction": (
                self.alp.generated_branching_fraction
                if self.background is None
                else meson_gg_fraction(self.background)
            ),
            "alp_branching_fractions": dict(self.final_states()),
            "other_b": self.other_b,
            "formula": "N = n_parents * branching_fraction * secondary_branching_fraction * "
            "alp_branching_fraction * efficiency, n_parents = n_bb_pairs * n_parents_per_bb_pair",
        }
        if self.background is not None:
            out["background"] = self.background
        if self.other_b == "generic":
            t = b_meson_tables(self.dec_file)
            out["other_b_kept_fraction"] = float(t.kept_fraction[t.species(-self.b_pdg)])
            out["other_b_dec_file"] = t.path
        return out


class BToKA(UpsilonBChannel):
    """e+e− → Υ(4S) → B+B−, B± → K± a, a → final state from the ALP settings."""

    name = "B+ -> K+ a"
    charged = True
    parent_label = "B+"

    @staticmethod
    def max_alp_mass(beams: BeamSettings | None = None) -> float:
        """Kinematic limit m_B − m_K for the ALP mass (GeV)."""
        return pdg_mass(B_PLUS) - pdg_mass(K_PLUS)

    @classmethod
    def background_bf(cls, background: str) -> float:
        return dec_branching_fraction("B+", ["K+", BACKGROUNDS[background][1]])

    def submodes(self) -> list[SubMode]:
        return [SubMode("K+", 1.0)]

    def mode_label(self, sign: int, key: str) -> str:
        c = "+" if sign > 0 else "-"
        return f"B{c} -> K{c} {self.x_name}"

    def add_signal(self, rng, b: BlockBuilder, sig: int, sign: int, key: str, m_x) -> int:
        p_k, p_a = two_body_decay(rng, b.p4(sig), pdg_mass(K_PLUS), m_x)
        b.add(sign * K_PLUS, p_k, mother=sig, role="kaon")
        return b.add(self.x_pdg, p_a, mother=sig, role="alp")


class B0ToKSA(UpsilonBChannel):
    """e+e− → Υ(4S) → B0B̄0, B0 (B̄0) → K0 (K̄0) a, K0 → K0_S → π+π−."""

    name = "B0 -> K0S a"
    charged = False
    parent_label = "B0"

    @staticmethod
    def max_alp_mass(beams: BeamSettings | None = None) -> float:
        """Kinematic limit m_B0 − m_K0 (GeV)."""
        return pdg_mass(B_ZERO) - pdg_mass(K_SHORT)

    @classmethod
    def background_bf(cls, background: str) -> float:
        name = BACKGROUNDS[background][1]
        bf = dec_branching_fraction("B0", ["K0", name])
        if bf <= 0:
            raise CardError(
                "channel.background",
                f"= {background!r}: the EvtGen table has no "
                f"B0 -> K0 {name}; use it with 'B+ -> K+ a'",
            )
        return bf

    def submodes(self) -> list[SubMode]:
        ks = pdg_branching_fraction("K0", ["K_S0"]) * pdg_branching_fraction("K_S0", ["pi+", "pi-"])
        return [SubMode("K_S0", ks)]

    def mode_label(self, sign: int, key: str) -> str:
        return f"{'B0' if sign > 0 else 'anti-B0'} -> K_S0 {self.x_name}"

    def add_signal(self, rng, b: BlockBuilder, sig: int, sign: int, key: str, m_x) -> int:
        m_ks, m_pi = pdg_mass(K_SHORT), pdg_mass(PI_PLUS)
        p_k, p_a = two_body_decay(rng, b.p4(sig), m_ks, m_x)
        ks = b.add(K_SHORT, p_k, mother=sig, role="kaon")
        x = b.add(self.x_pdg, p_a, mother=sig, role="alp")
        p1, p2 = two_body_decay(rng, b.p4(ks), m_pi, m_pi)
        b.add(PI_PLUS, p1, mother=ks, role="ks_pi+")
        b.add(-PI_PLUS, p2, mother=ks, role="ks_pi-")
        return x
