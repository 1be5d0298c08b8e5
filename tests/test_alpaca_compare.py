"""The optional ALPaca comparison (validation/alpaca_compare.py): skipped without alpaca-alps."""

import pytest

pytest.importorskip("alpaca")
ac = pytest.importorskip("validation.alpaca_compare")


@pytest.mark.slow
def test_same_physics_rows_agree_within_3_percent():
    rows = ac.width_rows("lepton", [0.05, 1.0]) + ac.rate_rows("W", [0.5])
    judged = [r for r in rows if r.judged]
    assert judged and all(r.passed for r in judged), [
        (r.quantity, r.mass, r.ratio) for r in judged if not r.passed
    ]


@pytest.mark.slow
def test_tau_to_mu_a_same_formula():
    ours, ref = ac.tau_to_l_a(0.5, "mu")
    assert ours == pytest.approx(ref, rel=1e-3)
