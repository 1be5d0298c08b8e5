"""Production channels, one module each; `CHANNELS` maps a card's channel name to its class."""

from .b_to_k_a import BToKA
from .base import AlpSettings, Channel

CHANNELS = {"B+ -> K+ a": BToKA}

__all__ = ["CHANNELS", "AlpSettings", "BToKA", "Channel"]
