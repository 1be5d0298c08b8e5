"""Branching fractions that normalise yields, from the current PDG (not from generator tables).

`particle` holds masses, widths and lifetimes but no branching fractions, so each value below is
typed once with its PDG 2024 source (R.L. Workman et al. / S. Navas et al., Review of Particle
Physics, Phys. Rev. D 110 (2024) 030001, summary tables); the EvtGen table DECAY_BELLE2.DEC
(generic_b.dec_branching_fraction) stays the source of the *generated* decay chains only.
Isospin (Clebsch–Gordan) fractions are exact numbers, not measurements.
"""

from __future__ import annotations

#: (parent, sorted daughters) → (branching fraction, source).
PDG_2024: dict[tuple[str, tuple[str, ...]], tuple[float, str]] = {
    ("J/psi", ("e+", "e-")): (0.05971, "PDG 2024 B(J/psi -> e+e-) = (5.971 +- 0.032) %"),
    ("psi(2S)", ("J/psi", "pi+", "pi-")): (
        0.3469,
        "PDG 2024 B(psi(2S) -> J/psi pi+pi-) = (34.69 +- 0.34) %",
    ),
    ("Upsilon(4S)", ("B+", "B-")): (0.514, "PDG 2024 B(Upsilon(4S) -> B+B-) = (51.4 +- 0.6) %"),
    ("Upsilon(4S)", ("B0", "anti-B0")): (
        0.486,
        "PDG 2024 B(Upsilon(4S) -> B0 anti-B0) = (48.6 +- 0.6) %",
    ),
    ("K_S0", ("pi+", "pi-")): (0.6920, "PDG 2024 B(K_S -> pi+pi-) = (69.20 +- 0.05) %"),
    ("pi0", ("gamma", "gamma")): (0.98823, "PDG 2024 B(pi0 -> gamma gamma) = (98.823 +- 0.034) %"),
    ("eta", ("gamma", "gamma")): (0.3936, "PDG 2024 B(eta -> gamma gamma) = (39.36 +- 0.18) %"),
    ("eta'", ("gamma", "gamma")): (0.02307, "PDG 2024 B(eta' -> gamma gamma) = (2.307 +- 0.033) %"),
    ("J/psi", ("eta", "gamma")): (1.108e-3, "PDG 2024 B(J/psi -> gamma eta) = (1.108 +- 0.027)e-3"),
    ("J/psi", ("eta'", "gamma")): (5.25e-3, "PDG 2024 B(J/psi -> gamma eta') = (5.25 +- 0.07)e-3"),
    ("J/psi", ("gamma", "pi0")): (3.56e-5, "PDG 2024 B(J/psi -> gamma pi0) = (3.56 +- 0.17)e-5"),
    ("K0", ("K_S0",)): (0.5, "K0 = (K_S + K_L)/sqrt(2): exactly 1/2"),
    ("K*0", ("K+", "pi-")): (2.0 / 3.0, "K*(892) -> K pi ~ 100 % (PDG 2024), isospin 2/3"),
    ("K*+", ("K0", "pi+")): (2.0 / 3.0, "K*(892) -> K pi ~ 100 % (PDG 2024), isospin 2/3"),
    ("K*+", ("K+", "pi0")): (1.0 / 3.0, "K*(892) -> K pi ~ 100 % (PDG 2024), isospin 1/3"),
}


def pdg_branching_fraction(parent: str, daughters: list[str] | tuple[str, ...]) -> float:
    """PDG 2024 branching fraction of ``parent → daughters`` (EvtGen names, order ignored);
    KeyError naming the decay if it is not in :data:`PDG_2024`."""
    key = (parent, tuple(sorted(daughters)))
    if key not in PDG_2024:
        raise KeyError(f"no PDG branching fraction stored for {parent} -> {' '.join(daughters)}")
    return PDG_2024[key][0]


def source(parent: str, daughters: list[str] | tuple[str, ...]) -> str:
    """The citation of :func:`pdg_branching_fraction`."""
    return PDG_2024[(parent, tuple(sorted(daughters)))][1]


def bf_jpsi_to_ee() -> float:
    """B(J/ψ → e+e−), PDG 2024."""
    return pdg_branching_fraction("J/psi", ("e+", "e-"))


def bf_psi2s_to_pipi_jpsi() -> float:
    """B(ψ(2S) → π+π− J/ψ), PDG 2024."""
    return pdg_branching_fraction("psi(2S)", ("J/psi", "pi+", "pi-"))


__all__ = ["PDG_2024", "bf_jpsi_to_ee", "bf_psi2s_to_pipi_jpsi", "pdg_branching_fraction"]
