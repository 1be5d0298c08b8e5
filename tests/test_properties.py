"""Property tests: random valid cards, masses near thresholds, lifetimes over 18 decades."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alpsim.card import load_card
from alpsim.card_schema import MIN_ALP_MASS
from alpsim.pdg import mass
from alpsim.runner import simulate_chunk

from .conftest import BASE_CARD

M_E, M_MU, M_PI = mass(11), mass(13), mass(211)
M_MAX = mass(521) - mass(321)

# (final state, its threshold): masses are drawn just above thresholds and anywhere between
STATES = [
    ("gamma gamma", 0.0),
    ("e+ e-", 2 * M_E),
    ("mu+ mu-", 2 * M_MU),
    ("pi+ pi-", 2 * M_PI),
    ("invisible", 0.0),
]


@st.composite
def cards(draw):
    state, threshold = draw(st.sampled_from(STATES))
    near = draw(st.booleans())
    if near:
        m = max(threshold * (1 + draw(st.floats(1e-9, 1e-3))) + 1e-6, MIN_ALP_MASS)
    else:
        m = draw(st.floats(max(threshold, MIN_ALP_MASS) * 1.001, M_MAX * 0.999999))
    if draw(st.booleans()):
        m = min(m, M_MAX * (1 - 1e-9))
    ctau = 10 ** draw(st.floats(-6, 12))
    return m, ctau, state


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cards())
def test_any_valid_card_gives_finite_events(write_card, params):
    m, ctau, state = params
    text = (
        BASE_CARD.replace("mass = 1.0", f"mass = {m!r}")
        .replace("ctau = 1.0", f"ctau = {ctau!r}")
        .replace('"gamma gamma" = 1.0', f'"{state}" = 1.0')
        .replace("seed = 1", "seed = 1\nctau_weights = [1e-6, 1.0, 1e12]")
    )
    card = load_card(write_card(text))
    record, reco = simulate_chunk(card, 7, 0, 0, 40)
    for b in record.blocks:
        assert np.all(np.isfinite(b.p4))
        assert np.all(np.isfinite(b.vertex))
        for w in b.weights.values():
            assert np.all(np.isfinite(w)) and np.all(w >= 0)
    for name, col in reco.columns().items():
        assert not np.any(np.isinf(col)), name


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.floats(1e-6, 1e12), st.floats(1.0, 1e3))
def test_forced_decays_finite_for_any_lifetime(write_card, ctau, lmax):
    text = BASE_CARD.replace("ctau = 1.0", f"ctau = {ctau!r}\ndecay_range = [0.5, {lmax!r}]")
    card = load_card(write_card(text))
    record, _ = simulate_chunk(card, 3, 0, 0, 40)
    for b in record.blocks:
        w = b.weights["nominal"]
        assert np.all(np.isfinite(w)) and np.all((w >= 0) & (w <= 1 + 1e-12))
        assert np.all(np.isfinite(b.vertex))
