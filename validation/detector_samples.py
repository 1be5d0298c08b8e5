"""Detector samples for the detector checks: B+ → K+ a events run through a detector card
(`sample`), and a resolution estimate insensitive to the tails of displaced decays
(`robust_sigma`). Used by checks_detector.py, checks_calorimeter.py, checks_tracking.py and
checks_kinematics.py.
"""

from __future__ import annotations

import numpy as np

from alpsim.detector.chain import simulate
from alpsim.generator.beams import draw_beams
from alpsim.generator.channels.b_to_k_a import BToKA
from alpsim.generator.channels.base import AlpSettings
from alpsim.record import EventRecord


def sample(det, m_a, ctau_mm, final_state, n, seed=1, objects=False):
    """Generate B+ → K+ a and run the detector; returns (record, columns), the columns with the
    reconstructed "vertices" objects added if `objects`."""
    rng = np.random.default_rng(seed)
    ch = BToKA(AlpSettings(m_a, ctau_mm, {final_state: 1.0}), 1e-6)
    beams = draw_beams(rng, n, det.beams, ch.min_sqrt_s)
    record = EventRecord(ch.name, ch.generate(rng, beams))
    reco = simulate(rng, record, det)
    columns = reco.columns()
    if objects:
        columns["vertices"] = reco.objects()["vertices"]
    return record, columns


def robust_sigma(x: np.ndarray) -> float:
    """Half the central 68 % interval (insensitive to the low tail of displaced decays)."""
    x = x[np.isfinite(x)]
    lo, hi = np.percentile(x, [16, 84])
    return 0.5 * (hi - lo)
