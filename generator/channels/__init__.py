"""Production channels, one module each; `CHANNELS` maps a card's channel name to its class."""

from .b_to_k_a import B0ToKSA, BToKA
from .b_to_kstar_a import BPlusToKstarA, BToKstarA
from .base import AlpSettings, Channel
from .ee_to_gamma_a import EeToGammaA
from .ee_to_mumu_a import EeToMuMuA
from .jpsi_to_gamma_a import JpsiToGammaA, Psi2SToPiPiJpsiGammaA
from .tau_to_l_a import TauToLA

CHANNELS = {
    "B+ -> K+ a": BToKA,
    EeToGammaA.name: EeToGammaA,
    TauToLA.name: TauToLA,
    EeToMuMuA.name: EeToMuMuA,
}

CHANNELS.update(
    {c.name: c for c in (B0ToKSA, BToKstarA, BPlusToKstarA, JpsiToGammaA, Psi2SToPiPiJpsiGammaA)}
)

__all__ = ["CHANNELS", "AlpSettings", "BToKA", "Channel"]
