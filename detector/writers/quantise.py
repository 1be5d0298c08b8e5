"""Float32 output columns rounded to the mantissa bits their resolution needs.

A float32 keeps 23 explicit mantissa bits; the lowest ones of a smeared quantity are noise far
below the detector's resolution and cost about one byte per value after compression (random
bits do not compress). `quantised(values, bits)` rounds each value to `bits` mantissa bits
(round half to even on the bit pattern, the rounding of IEEE 754 itself), so the dropped bits
are zeros that the writer's byte-stream-split + zstd encoding stores almost for free
(benchmarks/bench_parquet_compression.py). This is the "bit rounding" of lossy
scientific compression: Zender, "Bit Grooming", Geosci. Model Dev. 9 (2016) 3199; Klöwer et
al., "Compressing atmospheric data into its real information content", Nat. Comput. Sci. 1
(2021) 713.

Error: a value x with k kept bits moves by at most 2^-(k+1)·2^⌊log2|x|⌋ ≤ 2^-(k+1)·|x|, a
uniform rounding error of rms 2^-k·2^⌊log2|x|⌋/√12 ≤ 2^-k·|x|/√12. NaN and ±inf pass
unchanged; zero stays zero; the rounding is deterministic (same bits in, same bits out).
The bits of each column and why they suffice are in detector/writers/table.py.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Explicit mantissa bits of a float32: keeping all of them is lossless.
FLOAT32_BITS = 23


@numba.njit(cache=True, nogil=True)
def _round_bits(u, drop):  # pragma: no cover - compiled
    """Round the float32 bit patterns `u` (uint32, in place) to 23 − drop mantissa bits."""
    mask = (0xFFFFFFFF >> drop) << drop
    half = (1 << (drop - 1)) - 1
    for i in range(u.size):
        x = np.int64(u[i])
        if (x & 0x7F800000) == 0x7F800000:  # NaN or ±inf: unchanged
            continue
        r = (x + half + ((x >> drop) & 1)) & mask
        if (r & 0x7F800000) == 0x7F800000:  # rounded past the largest finite: truncate
            r = x & mask
        u[i] = r


def quantised(values: ArrayLike, bits: int) -> NDArray[np.float32]:
    """A new float32 array of `values` rounded to `bits` (1–23) mantissa bits."""
    if not 1 <= bits <= FLOAT32_BITS:
        raise ValueError(f"bits = {bits}: a float32 keeps 1 to {FLOAT32_BITS} mantissa bits")
    out = np.array(values, dtype=np.float32, copy=True, order="C")
    if bits < FLOAT32_BITS and out.size:
        quantise_inplace(out, bits)
    return out


def quantise_inplace(values: NDArray[np.float32], bits: int) -> None:
    """Round a contiguous float32 array (owned by the caller) to `bits` mantissa bits."""
    if bits < FLOAT32_BITS and values.size:
        _round_bits(values.reshape(-1).view(np.uint32), FLOAT32_BITS - bits)
