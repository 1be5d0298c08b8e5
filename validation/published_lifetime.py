"""Published lifetime dependence of displaced-ALP searches: efficiency relative to its maximum.

At a fixed mass a search's upper limit on the branching fraction scales as 1/efficiency (the same
data and background at every cτ), so limit_min / limit(cτ) is the efficiency versus cτ relative
to its best value. The numbers below are that ratio, derived from the published limit grids:

- Belle II, "Search for a long-lived spin-0 mediator in b → s transitions", PRD 108 (2023)
  L111104, arXiv:2306.02830: B+ → K+ S, S → μ+μ− and e+e−, limits at 17 values of cτ from
  0.01 to 1000 mm for every mass point.
- BaBar, "Search for an axion-like particle in B meson decays", PRL 128 (2022) 131802,
  arXiv:2111.01800: B± → K± a, a → γγ, limits at cτ = 1, 10 and 100 mm.

The grids were read from the tables of those limits shipped with ALPaca 1.2.0 (Alda et al.,
arXiv:2508.08354; package data `alpaca/experimental_data/visible/belleII_BKmumu_displ.npy`,
`belleII_BKee_displ.npy` and `babar_BKphotons_displ.npy`, where ALPaca cites the two papers);
tests/test_published_lifetime.py recomputes every number here from them when ALPaca is
installed, so a transcription error cannot pass. Ratios of limits carry the limits' own
fluctuations (a few background events): at Belle II neighbouring cτ points scatter by ~0.05;
BaBar's limits fluctuate from mass to mass, so its rows are medians and quartiles over mass
ranges.
"""

from __future__ import annotations

#: cτ (mm) of the Belle II limit grid.
BELLE2_CTAU_MM = (0.01, 0.03, 0.05, 0.07, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0,
                  100.0, 250.0, 500.0, 1000.0)  # fmt: skip

#: Belle II B+ → K+ S: {final state: {m_S (GeV): relative efficiency at each BELLE2_CTAU_MM}},
#: at the grid mass nearest to the key (within 3 MeV); eight masses from 0.3 to 3.5 GeV.
BELLE2_B2KS_RELATIVE = {
    "mu+ mu-": {
        0.3: (0.026, 0.134, 0.266, 0.371, 0.458, 0.67, 0.756, 0.984, 1.0, 0.865, 0.933, 0.69,
              0.483, 0.297, 0.135, 0.07, 0.035),
        0.5: (0.007, 0.043, 0.143, 0.241, 0.358, 0.629, 0.78, 0.964, 1.0, 0.921, 0.984, 0.814,
              0.603, 0.411, 0.193, 0.106, 0.053),
        0.7: (0.005, 0.022, 0.074, 0.145, 0.251, 0.573, 0.746, 0.916, 0.998, 0.967, 1.0, 0.813,
              0.665, 0.462, 0.232, 0.126, 0.065),
        1.0: (0.003, 0.005, 0.021, 0.053, 0.125, 0.417, 0.638, 0.837, 0.962, 0.923, 1.0, 0.891,
              0.735, 0.533, 0.278, 0.155, 0.084),
        1.5: (0.002, 0.002, 0.003, 0.011, 0.04, 0.253, 0.48, 0.735, 0.906, 0.889, 1.0, 0.904,
              0.795, 0.585, 0.33, 0.188, 0.1),
        2.0: (0.002, 0.002, 0.002, 0.004, 0.012, 0.142, 0.361, 0.635, 0.852, 0.851, 1.0, 0.931,
              0.855, 0.671, 0.399, 0.235, 0.13),
        2.5: (0.002, 0.001, 0.002, 0.001, 0.004, 0.07, 0.252, 0.52, 0.805, 0.842, 1.0, 0.974,
              0.909, 0.757, 0.484, 0.3, 0.176),
        3.5: (0.001, 0.001, 0.001, 0.001, 0.001, 0.008, 0.073, 0.263, 0.601, 0.748, 0.94, 1.0,
              0.989, 0.91, 0.668, 0.463, 0.287),
    },
    "e+ e-": {
        0.3: (0.022, 0.144, 0.287, 0.409, 0.496, 0.732, 0.805, 0.98, 1.0, 0.931, 0.973, 0.729,
              0.521, 0.312, 0.145, 0.076, 0.037),
        0.5: (0.009, 0.049, 0.139, 0.235, 0.349, 0.621, 0.775, 0.933, 0.969, 0.932, 1.0, 0.832,
              0.647, 0.428, 0.211, 0.112, 0.058),
        0.7: (0.006, 0.023, 0.076, 0.141, 0.245, 0.555, 0.735, 0.899, 0.983, 0.962, 1.0, 0.79,
              0.676, 0.469, 0.249, 0.137, 0.071),
        1.0: (0.003, 0.005, 0.02, 0.047, 0.11, 0.363, 0.578, 0.778, 0.932, 0.923, 1.0, 0.921,
              0.767, 0.566, 0.314, 0.177, 0.094),
        1.5: (0.001, 0.002, 0.005, 0.012, 0.039, 0.26, 0.497, 0.742, 0.915, 0.908, 1.0, 0.949,
              0.814, 0.638, 0.363, 0.213, 0.11),
        2.0: (0.002, 0.002, 0.003, 0.004, 0.013, 0.149, 0.374, 0.631, 0.851, 0.883, 1.0, 0.948,
              0.854, 0.681, 0.406, 0.241, 0.136),
        2.5: (0.001, 0.001, 0.002, 0.002, 0.004, 0.074, 0.262, 0.531, 0.813, 0.868, 1.0, 0.992,
              0.897, 0.745, 0.471, 0.298, 0.172),
        3.5: (0.002, 0.002, 0.002, 0.003, 0.002, 0.011, 0.075, 0.259, 0.597, 0.75, 0.945, 1.0,
              0.98, 0.889, 0.648, 0.45, 0.277),
    },
}  # fmt: skip

#: cτ (mm) of the BaBar limit grid; the ratios below are relative to cτ = 1 mm.
BABAR_CTAU_MM = (1.0, 10.0, 100.0)

#: BaBar B± → K± a, a → γγ: {(m_lo, m_hi) GeV: (n masses, (q25, median, q75) of
#: limit(1 mm)/limit(10 mm), (q25, median, q75) of limit(1 mm)/limit(100 mm))} over the mass
#: points of the grid in [m_lo, m_hi) (the grid stops at 2.5 GeV and skips the π0 and η
#: regions).
BABAR_B2KA_GG_RELATIVE = {
    (0.15, 0.5): (11, (0.67, 0.74, 0.82), (0.12, 0.16, 0.23)),
    (0.5, 1.0): (11, (0.68, 0.78, 1.10), (0.14, 0.21, 0.29)),
    (1.0, 1.5): (21, (0.61, 0.82, 1.01), (0.18, 0.38, 0.58)),
    (1.5, 2.0): (21, (0.84, 0.95, 1.04), (0.22, 0.66, 0.79)),
    (2.0, 2.6): (20, (0.81, 0.93, 1.08), (0.30, 0.47, 0.58)),
}

BELLE2_SOURCE = (
    "Belle II PRD 108 (2023) L111104 limit grid (as shipped with ALPaca 1.2.0): limit_min/limit(cτ)"
)
BABAR_SOURCE = (
    "BaBar PRL 128 (2022) 131802 limit grid (as shipped with ALPaca 1.2.0): "
    "limit(1 mm)/limit(cτ), median over the mass range"
)
