"""Production channels, one module each; `CHANNELS` maps a card's channel name to its class."""

from .b_to_k_a import BToKA
from .base import AlpSettings, Channel
from .ee_to_gamma_a import EeToGammaA

CHANNELS = {"B+ -> K+ a": BToKA, EeToGammaA.name: EeToGammaA}

__all__ = ["CHANNELS", "AlpSettings", "BToKA", "Channel"]
