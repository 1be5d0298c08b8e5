"""Mantissa rounding of the float32 output columns (detector/writers/quantise.py)."""

from __future__ import annotations

import numpy as np
import pytest

from alpsim.detector.writers.quantise import FLOAT32_BITS, quantised


@pytest.mark.parametrize("bits", [4, 10, 16, 22])
def test_rounding_error_is_bounded_and_unbiased(bits):
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(200_000) * 10.0 ** rng.uniform(-6, 4, 200_000)).astype(np.float32)
    q = quantised(x, bits)
    assert q.dtype == np.float32 and q is not x
    rel = (q.astype(np.float64) - x) / np.abs(x)
    assert np.max(np.abs(rel)) <= 2.0 ** -(bits + 1)
    # uniform error: rms of 2^-bits·2^floor(log2|x|)/sqrt(12), mean near zero
    ulp = 2.0 ** (np.floor(np.log2(np.abs(x.astype(np.float64)))) - bits)
    u = (q.astype(np.float64) - x) / ulp
    if bits <= 16:  # many dropped bits: a continuous uniform error (one dropped bit: 0 or ±1/2)
        assert abs(np.std(u) - 1 / np.sqrt(12)) < 0.01 and abs(np.mean(u)) < 0.01
    # the dropped bits are zero, and rounding again changes nothing
    assert np.all(q.view(np.uint32) & np.uint32((1 << (FLOAT32_BITS - bits)) - 1) == 0)
    np.testing.assert_array_equal(quantised(q, bits), q)


def test_special_values_and_ties():
    x = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 1.0, np.finfo(np.float32).max], np.float32)
    q = quantised(x, 8)
    assert q[0] == 0 and np.signbit(q[1]) and np.isnan(q[2]) and q[3] == np.inf
    assert q[4] == -np.inf and q[5] == 1.0 and np.isfinite(q[6])
    # halfway cases round to the even neighbour: 1 + 2^-9 → 1, 1 + 3·2^-9 → 1 + 2^-7
    ties = np.array([1 + 2.0**-9, 1 + 3 * 2.0**-9], np.float32)
    np.testing.assert_array_equal(quantised(ties, 8), [1.0, 1 + 2.0**-7])


def test_all_bits_is_lossless_and_float64_is_cast_first():
    x = np.random.default_rng(1).standard_normal(1000)
    np.testing.assert_array_equal(quantised(x, FLOAT32_BITS), x.astype(np.float32))
    for bad in (0, 24):
        with pytest.raises(ValueError, match="bits"):
            quantised(x, bad)
