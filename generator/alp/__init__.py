"""ALP model: couplings (BNT17 convention) → partial widths, branching fractions, cτ."""

from .couplings import (
    ALPHA_EM,
    SIN2_THETA_W,
    C_from_g_agamma,
    C_WW_from_g_aW,
    Couplings,
    g_agamma_from_C,
    g_aW_from_C_WW,
)
from .model import AlpModel, alp_table
from .widths import (
    CP_FORBIDDEN,
    FINAL_STATES,
    branching_fractions,
    ctau_mm,
    partial_widths,
    thresholds,
    total_width,
)

__all__ = [
    "ALPHA_EM",
    "CP_FORBIDDEN",
    "FINAL_STATES",
    "SIN2_THETA_W",
    "AlpModel",
    "C_WW_from_g_aW",
    "C_from_g_agamma",
    "Couplings",
    "alp_table",
    "branching_fractions",
    "ctau_mm",
    "g_aW_from_C_WW",
    "g_agamma_from_C",
    "partial_widths",
    "thresholds",
    "total_width",
]
