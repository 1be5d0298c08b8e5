"""HepMC3 ASCII ("Asciiv3") output of the truth record, written a whole block at a time.

The file follows what HepMC3's ``WriterAscii`` writes (HepMC3 3.02, as bundled with
pyhepmc 2.16) and reads back with ``pyhepmc.open`` / HepMC3's ``ReaderAscii``::

    HepMC::Version 3.02.05
    HepMC::Asciiv3-START_EVENT_LISTING
    W nominal\\|<weight name>\\|...          weight names (run info)
    T alpsim\\|<version>\\|<description>     tool (run info)
    A <name> <value>                         run attributes (scalars of `info`), sorted
    E <event number> <n vertices> <n particles>
    U GEV MM
    W <w_nominal> <w_1> ...
    A 0 GenCrossSection <xs pb> <err pb> <accepted> <attempted>   (only with a cross section)
    A 0 alp_ctau <mm>  /  A 0 alp_mass <GeV>  /  A 0 channel <name>  /  A 0 decay_mode <name>
    P <id> <parent> <pdg> <px> <py> <pz> <E> <generated mass> <status>
    V <id> 0 [<incoming ids>] @ <x> <y> <z> <c·t>
    ...
    HepMC::Asciiv3-END_EVENT_LISTING

Event content: the beams (status 4) enter the primary vertex (V -1), which sits at the
production point of the particles with mother −1; every particle with daughters gets an end
vertex at its daughters' production point. A final-state particle of the record that has
daughters (an e± that radiated bremsstrahlung in the material stage: the record keeps it as
status 1 with its momentum after the material, its photon a status-1 daughter,
detector/material.py) is written as HepMC3 wants it, never status 1 with an end vertex: the
record's particle becomes status 2 with the momentum before the emission (its own plus its
daughters'), and the e± after the emission is one more status-1 particle out of that vertex,
appended after the template's particles (ids n+1, ...). Vertices are numbered −1, −2, ... in
the order of their first outgoing particle and each V line precedes that particle, as HepMC3
does. HepMC3 omits a V line whose vertex has one incoming particle and position zero (the
daughters then name the mother particle); here every vertex is written with ``@`` and its
position, which HepMC3 reads to the same event. Vertex times: the record's t (ns) is written as
c·t in mm.

Numbers: HepMC3 prints momenta and positions with ``%.16e``, weights with ``%.22e`` and the
cross section with ``%.8e``; here every double is printed as a short string that reads back to
the same double (Grisu2: identical to Python's ``repr`` for >99% of doubles, one digit longer
otherwise; ``inf``/``nan`` as such), which ``atof`` in HepMC3's reader turns into the identical
double. The nominal weight is the block weight "nominal" if there is one, else 1. The
generated mass is the invariant mass of the four-momentum computed as HepMC3's
``FourVector::m()`` does (negative for a space-like rounding of a massless particle), i.e.
what HepMC3 writes when no mass is set.

Normalisation (decision): if ``info["cross_section_fb"]`` is given, each event carries a
GenCrossSection in pb (HepMC3's unit), value and error (``info["cross_section_error_fb"]``,
default 0) divided by 1000, with accepted = attempted = the running event count in the file.
Without a cross section no GenCrossSection is written (a branching fraction in a cross-section
field would be misread as pb); the production BF and number of parents, like every other
scalar of ``info``, travel as run attributes (``A production_bf ...``, ``A n_parents ...``).

`info` keys used: ``cross_section_fb``, ``cross_section_error_fb``, ``m_a`` (GeV), ``ctau``
(mm, the cτ the sample was generated with), ``description`` (tool description), ``version``
(default: alpsim's), ``weight_names`` (optional: fixes the named weights up front when
streaming). Scalars (str, int, float, bool) are also written as run attributes.

Ragged part (record.Ragged, e.g. the other B's decay chain): after an event's template
particles come its ragged particles, ids n+1, ... in their order, each mother's decay vertex
(at its first daughter's production point) written before that daughter and numbered on from
the template's vertices; the E line then carries the event's own counts.

Speed: a block's events share their lines up to the numbers, so each block becomes a byte
template plus a float matrix and an int matrix (events × fields), and a numba kernel prints
them straight into a byte buffer: Grisu2's digits through a branch-poor fast path (same
digits, see `_digits_fast`), eight digits and literal bytes per move. Chunks of events are
split into segments printed on a small thread pool (the compiled kernel releases the GIL; no
spinning OpenMP workers), and a writer thread writes one chunk while the next is printed;
the bytes depend on neither. Measured (benchmarks/bench_hepmc3.py, 9-particle events, 2-core
AMD EPYC VM shared with another session, load 1.5): ~200k events/s with 2 threads, ~160k
with 1, ~11k for pyhepmc event by event. ".gz" output is bounded by zlib: ~75k events/s at
the default compresslevel 1 (631 B/event), ~14k at level 6 (558 B/event).
"""

from __future__ import annotations

import gzip
import io
import itertools
import os
from collections import deque
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import hepunits as u
import numba as nb
import numpy as np
from llvmlite import ir
from numba.core import types as nbt
from numba.extending import intrinsic
from numpy.typing import NDArray

from ..._version import __version__
from ...commit import commit, temp_path
from ...record import BEAM, DECAYED, FINAL, Block, EventRecord

__all__ = [
    "HEPMC3_FORMAT_VERSION",
    "HepMC3Writer",
    "format_doubles",
    "read_hepmc3_summary",
    "write_hepmc3",
]

#: Version string in the header: the HepMC3 release whose Asciiv3 layout is followed.
HEPMC3_FORMAT_VERSION = "3.02.05"
#: Speed of light in mm/ns (hepunits.c_light, the exact SI value 299 792 458 m/s).
C_MM_PER_NS = float(u.c_light / (u.mm / u.ns))
#: Events printed per kernel call (bounds the size of the text buffer).
CHUNK_EVENTS = 8192
#: Upper bound on the characters of one printed double ("-1.2345678901234567e-308" is 24).
_MAX_DOUBLE_CHARS = 25
_MAX_INT_CHARS = 21

_HEADER_START = "HepMC::Asciiv3-START_EVENT_LISTING\n"
_FOOTER = "HepMC::Asciiv3-END_EVENT_LISTING\n\n"


# ------------------------------------------------------------------------------------------
# Grisu2 shortest(-ish) round-trip double printing in numba.
# Algorithm: F. Loitsch, "Printing floating-point numbers quickly and accurately with
# integers" (PLDI 2010), Grisu2 variant. The output always reads back to the same double;
# it is the shortest such string in the vast majority of cases. Layout as Python's repr.
# ------------------------------------------------------------------------------------------


def _cached_powers() -> tuple[NDArray[np.uint64], NDArray[np.int64]]:
    """Normalised 64-bit significands and binary exponents of 10^k, k = -348, -340, ..., 340."""
    fs, es = [], []
    for k in range(-348, 341, 8):
        num, den = (10**k, 1) if k >= 0 else (1, 10**-k)
        e = num.bit_length() - den.bit_length() - 64
        while True:  # find e with 2^63 <= num / (den 2^e) < 2^64
            n2, d2 = (num, den << e) if e >= 0 else (num << -e, den)
            q = n2 // d2
            if q >= 1 << 64:
                e += 1
            elif q < 1 << 63:
                e -= 1
            else:
                break
        f = (2 * n2 + d2) // (2 * d2)  # round to nearest
        if f == 1 << 64:
            f, e = 1 << 63, e + 1
        fs.append(f)
        es.append(e)
    return np.array(fs, dtype=np.uint64), np.array(es, dtype=np.int64)


_CP_F, _CP_E = _cached_powers()
_POW10 = np.array([10**i for i in range(20)], dtype=np.uint64)

_U0 = np.uint64(0)
_U1 = np.uint64(1)
_U10 = np.uint64(10)
_U32 = np.uint64(32)
_M32 = np.uint64(0xFFFFFFFF)
_TOP = np.uint64(1 << 63)
_HIDDEN = np.uint64(1 << 52)
_FRAC = np.uint64((1 << 52) - 1)


@nb.njit(cache=True, inline="always")
def _mul128(x: np.uint64, y: np.uint64) -> tuple[np.uint64, np.uint64]:
    """(high, low) 64-bit halves of the exact product x·y."""
    a = x >> _U32
    b = x & _M32
    c = y >> _U32
    d = y & _M32
    bd = b * d
    ad = a * d
    bc = b * c
    mid = (bd >> _U32) + (ad & _M32) + (bc & _M32)
    return a * c + (ad >> _U32) + (bc >> _U32) + (mid >> _U32), (mid << _U32) | (bd & _M32)


@nb.njit(cache=True, inline="always")
def _mul_hi(x: np.uint64, y: np.uint64) -> np.uint64:
    """Upper 64 bits of the 128-bit product x·y, rounded (_mul128's high half plus the top
    bit of its low half)."""
    hi, lo = _mul128(x, y)
    return hi + (lo >> np.uint64(63))


@nb.njit(cache=True, inline="always")
def _grisu_round(buf, n, delta, rest, ten_kappa, wp_w):  # type: ignore[no-untyped-def]
    while (
        rest < wp_w
        and delta - rest >= ten_kappa
        and (rest + ten_kappa < wp_w or wp_w - rest > rest + ten_kappa - wp_w)
    ):
        buf[n - 1] -= 1
        rest += ten_kappa


@nb.njit(cache=True, inline="always")
def _div_pow10(p: np.uint64, k: int) -> tuple[np.uint64, np.uint64]:
    """(p // 10^k, p % 10^k) for p < 2^32 with constant divisors (multiply-shift code)."""
    if k == 0:
        return p, _U0
    if k == 1:
        q = p // np.uint64(10)
        return q, p - q * np.uint64(10)
    if k == 2:
        q = p // np.uint64(100)
        return q, p - q * np.uint64(100)
    if k == 3:
        q = p // np.uint64(1000)
        return q, p - q * np.uint64(1000)
    if k == 4:
        q = p // np.uint64(10000)
        return q, p - q * np.uint64(10000)
    if k == 5:
        q = p // np.uint64(100000)
        return q, p - q * np.uint64(100000)
    if k == 6:
        q = p // np.uint64(1000000)
        return q, p - q * np.uint64(1000000)
    if k == 7:
        q = p // np.uint64(10000000)
        return q, p - q * np.uint64(10000000)
    if k == 8:
        q = p // np.uint64(100000000)
        return q, p - q * np.uint64(100000000)
    q = p // np.uint64(1000000000)
    return q, p - q * np.uint64(1000000000)


@nb.njit(cache=True, inline="always")
def _scaled_boundaries(f: np.uint64, e: np.int64):  # type: ignore[no-untyped-def]
    """Grisu2's first step for f·2^e (f > 0): the value w and its upper and lower boundaries
    m+ and m− normalised and multiplied by the cached power 10^−mk, as (w_f, wp_f, wm_f, wp_e,
    mk) with wp_f and wm_f narrowed by one unit (shared by `_grisu2` and `_digits_fast`)."""
    # boundaries m+ and m- (normalised, common exponent)
    pl_f = (f << _U1) + _U1
    pl_e = e - 1
    while (pl_f & (_HIDDEN << _U1)) == _U0:  # only for subnormals
        pl_f <<= _U1
        pl_e -= 1
    pl_f <<= np.uint64(10)
    pl_e -= 10
    if f == _HIDDEN:
        mi_f = (f << np.uint64(2)) - _U1
        mi_e = e - 2
    else:
        mi_f = (f << _U1) - _U1
        mi_e = e - 1
    mi_f <<= np.uint64(mi_e - pl_e)
    # normalise v
    if f & _HIDDEN:
        v_f = f << np.uint64(11)
    else:
        v_f = f
    while (v_f & _TOP) == _U0:  # only for subnormals
        v_f <<= _U1
    # cached power c = 10^-mk
    dk = (-61 - pl_e) * 0.30102999566398114 + 347
    k = np.int64(dk)
    if dk - k > 0.0:
        k += 1
    index = (k >> 3) + 1
    mk = -(-348 + index * 8)
    c_f = _CP_F[index]
    w_f = _mul_hi(v_f, c_f)
    wp_f = _mul_hi(pl_f, c_f) - _U1
    wm_f = _mul_hi(mi_f, c_f) + _U1
    return w_f, wp_f, wm_f, pl_e + _CP_E[index] + 64, mk


@nb.njit(cache=True, inline="always")
def _grisu2(f: np.uint64, e: np.int64, buf):  # type: ignore[no-untyped-def]
    """Digits of f·2^e (f > 0) into buf; returns (n_digits, K) with value = digits·10^K."""
    w_f, wp_f, wm_f, wp_e, mk = _scaled_boundaries(f, e)
    delta = wp_f - wm_f
    # digit generation
    shift = np.uint64(-wp_e)
    one_f = _U1 << shift
    wp_w = wp_f - w_f
    p1 = wp_f >> shift
    p2 = wp_f & (one_f - _U1)
    kappa = 1
    while kappa < 10 and p1 >= _POW10[kappa]:
        kappa += 1
    n = 0
    K = mk
    while kappa > 0:
        d, p1 = _div_pow10(p1, kappa - 1)
        if d != _U0 or n != 0:
            buf[n] = np.uint8(48) + np.uint8(d)
            n += 1
        kappa -= 1
        tmp = (p1 << shift) + p2
        if tmp <= delta:
            K += kappa
            _grisu_round(buf, n, delta, tmp, _POW10[kappa] << shift, wp_w)
            return n, K
    while True:
        p2 *= _U10
        delta *= _U10
        d = p2 >> shift
        if d != _U0 or n != 0:
            buf[n] = np.uint8(48) + np.uint8(d)
            n += 1
        p2 &= one_f - _U1
        kappa -= 1
        if p2 < delta:
            K += kappa
            scale = _POW10[-kappa] if -kappa < 20 else _U0
            _grisu_round(buf, n, delta, p2, one_f, wp_w * scale)
            return n, K


# ------------------------------------------------------------------------------------------
# Fast path of the same Grisu2 digits, and 8-byte moves.
# The digit loop of `_grisu2` stops at the first fractional digit j where the remainder
# (p2·10^j mod 2^shift) drops below delta·10^j; that condition, once true, stays true, and it
# is certainly true at the first j with delta·10^j >= 2^shift. So j is found from that bound
# (a table lookup and two compares, one step back in ~10 % of cases), the j digits come from
# one 128-bit product, and all digits are printed eight at a time (SWAR). Where the integral
# part could end the digits (p2 <= delta, short numbers such as 1.0) or delta is outside the
# range the table covers (never seen for normal doubles), `_grisu2` runs as before. The
# digits are identical to `_grisu2`'s (tests/test_hepmc3_writer.py compares both).
# ------------------------------------------------------------------------------------------


@intrinsic
def _ld8(typingctx, arr, pos):  # type: ignore[no-untyped-def]
    """Unaligned little-endian uint64 load of arr[pos : pos + 8] (a uint8 array)."""
    sig = nbt.uint64(arr, pos)

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        ptr = builder.gep(ary.data, [args[1]])
        return builder.load(builder.bitcast(ptr, ir.IntType(64).as_pointer()), align=1)

    return sig, codegen


@intrinsic
def _st8(typingctx, arr, pos, val):  # type: ignore[no-untyped-def]
    """Unaligned little-endian uint64 store of val to arr[pos : pos + 8] (a uint8 array)."""
    sig = nbt.void(arr, pos, val)

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        ptr = builder.gep(ary.data, [args[1]])
        builder.store(args[2], builder.bitcast(ptr, ir.IntType(64).as_pointer()), align=1)
        return context.get_dummy_value()

    return sig, codegen


def _stop_bounds() -> tuple[NDArray[np.int64], NDArray[np.uint64]]:
    """For each shift s: the least j the digit loop can stop at when delta < 2^13, and
    Q[s, j] = ceil(2^s / 10^j), so that delta·10^j < 2^s  <=>  delta < Q[s, j]."""
    jlo = np.array([max(1, -(-(s - 13) * 30103 // 100000)) for s in range(64)], dtype=np.int64)
    q = np.array(
        [[min(-(-(1 << s) // 10**j), (1 << 64) - 1) for j in range(24)] for s in range(64)],
        dtype=np.uint64,
    )
    return jlo, q


_JLO, _QSJ = _stop_bounds()
_U100 = np.uint64(100)
_U1E4 = np.uint64(10000)
_U1E8 = np.uint64(100000000)
_ASCII0 = np.uint64(0x3030303030303030)
_ZERO_POINT = np.uint64(int.from_bytes(b"0.000000", "little"))
_ZEROS = np.uint64(int.from_bytes(b"00000000", "little"))
#: Digit buffer layout of `_digits_fast`: p1's ten-digit field starts here.
_DB = 8
#: Bytes a kernel may write past the end of what it prints (8-byte moves); and the size of
#: its digit buffer.
_SLACK = 64
_DIGIT_BUF = 64


@nb.njit(cache=True, inline="always")
def _swar8(x: np.uint64) -> np.uint64:
    """x < 10^8 as eight ASCII digits, zero padded, first digit in the lowest byte."""
    hi = x // _U1E4
    v = hi | ((x - hi * _U1E4) << _U32)
    t = ((v * np.uint64(10486)) >> np.uint64(20)) & np.uint64(0x0000007F0000007F)
    v = t | ((v - t * _U100) << np.uint64(16))
    t = ((v * np.uint64(103)) >> _U10) & np.uint64(0x000F000F000F000F)
    v = t | ((v - t * _U10) << np.uint64(8))
    return v | _ASCII0


@nb.njit(cache=True, inline="always")
def _digits_fast(f: np.uint64, e: np.int64, buf):  # type: ignore[no-untyped-def]
    """`_grisu2`'s digits of f·2^e (f > 0) at buf[s : s + n]; returns (s, n, K)."""
    w_f, wp_f, wm_f, wp_e, mk = _scaled_boundaries(f, e)
    ishift = -wp_e
    delta = wp_f - wm_f
    shift = np.uint64(ishift)
    one_f = _U1 << shift
    mask = one_f - _U1
    p1 = wp_f >> shift
    p2 = wp_f & mask
    if (
        p2 <= delta
        or delta >= np.uint64(1 << 13)
        or delta < np.uint64(1 << 9)
        or p1 == _U0
        or p1 >= np.uint64(1 << 32)
    ):
        n, K = _grisu2(f, e, buf[_DB:])
        return _DB, n, K
    # p2 > delta > 0 and delta < 2^shift: no stop inside the integral digits
    j = _JLO[ishift]
    j += np.int64(delta < _QSJ[ishift, j]) + np.int64(delta < _QSJ[ishift, j + 1])
    hi, lo = _mul128(p2, _POW10[j])
    fr = (hi << (np.uint64(64) - shift)) | (lo >> shift)  # the j fractional digits
    rest = lo & mask
    # step back while the condition holds one digit earlier (10·rest_(j-1) = d·2^shift +
    # rest_j; never at j = 1, as p2 > delta): twice without branches, then rarely a loop
    for _ in range(2):
        q = fr // _U10
        r = (fr - q * _U10) * one_f + rest
        c = np.uint64(r < delta * _POW10[j])
        fr += c * (q - fr)
        rest += c * (r // _U10 - rest)
        j -= np.int64(c)
    while True:
        q = fr // _U10
        r = (fr - q * _U10) * one_f + rest
        if r >= delta * _POW10[j]:
            break
        fr = q
        rest = r // _U10
        j -= 1
    # fraction as 16 digits ending at _DB + 10 + j, then p1 as 10 digits at _DB over the
    # fraction's leading zeros
    h = fr // _U1E8
    o = _DB + 10 + j - 16
    _st8(buf, o, _swar8(h))
    _st8(buf, o + 8, _swar8(fr - h * _U1E8))
    t = p1 // _U1E8
    _st8(buf, _DB + 2, _swar8(p1 - t * _U1E8))
    buf[_DB] = np.uint8(48) + np.uint8(t // _U10)
    buf[_DB + 1] = np.uint8(48) + np.uint8(t % _U10)
    n1 = (
        np.int64(1)
        + np.int64(p1 >= _U10)
        + np.int64(p1 >= _U100)
        + np.int64(p1 >= np.uint64(1000))
        + np.int64(p1 >= _U1E4)
        + np.int64(p1 >= np.uint64(100000))
        + np.int64(p1 >= np.uint64(1000000))
        + np.int64(p1 >= np.uint64(10000000))
        + np.int64(p1 >= _U1E8)
        + np.int64(p1 >= np.uint64(1000000000))
    )
    # `_grisu_round` on the last digit (conditions evaluated without short cuts: same values)
    dl = delta * _POW10[j]
    wp_w = (wp_f - w_f) * _POW10[j]
    last = _DB + 9 + j
    d = _U0  # decrements of the last digit
    for _ in range(2):  # the first two without branches
        c = np.uint64(
            (rest < wp_w)
            & (dl - rest >= one_f)
            & ((rest + one_f < wp_w) | (wp_w - rest > rest + one_f - wp_w))
        )
        d += c
        rest += c * one_f
    if d == np.uint64(2):
        while (
            (rest < wp_w)
            & (dl - rest >= one_f)
            & ((rest + one_f < wp_w) | (wp_w - rest > rest + one_f - wp_w))
        ):
            d += _U1
            rest += one_f
    buf[last] -= np.uint8(d)
    return _DB + 10 - n1, n1 + j, mk - j


@nb.njit(cache=True, inline="always")
def _put_literal(out, pos, lit, a, b):  # type: ignore[no-untyped-def]
    """Copy lit[a:b] to out[pos:] in 8-byte moves (lit padded, out with slack); new pos."""
    for k in range(0, b - a, 8):
        _st8(out, pos + k, _ld8(lit, a + k))
    return pos + (b - a)


@nb.njit(cache=True, inline="always")
def _copy24(out, pos, buf, s):  # type: ignore[no-untyped-def]
    _st8(out, pos, _ld8(buf, s))
    _st8(out, pos + 8, _ld8(buf, s + 8))
    _st8(out, pos + 16, _ld8(buf, s + 16))


@nb.njit(cache=True, inline="always")
def _put_double(out, pos, bits: np.uint64, digits):  # type: ignore[no-untyped-def]
    """Print the double with these IEEE bits at out[pos:], Python repr layout; new pos.
    May write up to _SLACK bytes past the printed text; `digits` has _DIGIT_BUF bytes."""
    if (bits >> np.uint64(63)) != _U0:
        out[pos] = 45  # '-'
        pos += 1
    biased = np.int64((bits >> np.uint64(52)) & np.uint64(0x7FF))
    frac = bits & _FRAC
    if biased == 0x7FF:
        if frac == _U0:  # inf
            out[pos] = 105
            out[pos + 1] = 110
            out[pos + 2] = 102
        else:  # nan (sign kept, as strtod accepts "-nan")
            out[pos] = 110
            out[pos + 1] = 97
            out[pos + 2] = 110
        return pos + 3
    if biased == 0 and frac == _U0:
        out[pos] = 48
        out[pos + 1] = 46
        out[pos + 2] = 48
        return pos + 3
    if biased == 0:
        f = frac
        e = np.int64(-1074)
    else:
        f = frac + _HIDDEN
        e = biased - 1075
    s, n, K = _digits_fast(f, e, digits)
    decpt = n + K
    if -4 < decpt <= 16:
        if decpt <= 0:  # "0." + zeros + digits
            _st8(out, pos, _ZERO_POINT)
            _copy24(out, pos + 2 - decpt, digits, s)
            return pos + 2 - decpt + n
        if decpt < n:  # digits with the point inside
            _st8(out, pos, _ld8(digits, s))
            _st8(out, pos + 8, _ld8(digits, s + 8))
            out[pos + decpt] = 46
            _copy24(out, pos + decpt + 1, digits, s + decpt)
            return pos + n + 1
        _copy24(out, pos, digits, s)  # digits + zeros + ".0"
        _st8(out, pos + n, _ZEROS)
        _st8(out, pos + n + 8, _ZEROS)
        out[pos + decpt] = 46
        out[pos + decpt + 1] = 48
        return pos + decpt + 2
    out[pos] = digits[s]
    pos += 1
    if n > 1:
        out[pos] = 46
        pos += 1
        for i in range(1, n):
            out[pos] = digits[s + i]
            pos += 1
    x = decpt - 1
    out[pos] = 101  # 'e'
    if x < 0:
        out[pos + 1] = 45
        x = -x
    else:
        out[pos + 1] = 43
    pos += 2
    if x >= 100:
        out[pos] = 48 + x // 100
        pos += 1
        x %= 100
    out[pos] = 48 + x // 10
    out[pos + 1] = 48 + x % 10
    return pos + 2


@nb.njit(cache=True, inline="always")
def _put_int(out, pos, v: np.int64, digits):  # type: ignore[no-untyped-def]
    if v < 0:
        out[pos] = 45
        pos += 1
        u = np.uint64(-(v + 1)) + _U1  # safe for INT64_MIN
    else:
        u = np.uint64(v)
    n = 0
    while True:
        digits[n] = np.uint8(48) + np.uint8(u % _U10)
        n += 1
        u //= _U10
        if u == _U0:
            break
    for i in range(n):
        out[pos + i] = digits[n - 1 - i]
    return pos + n


@nb.njit(cache=True, nogil=True)
def _emit(ops, lit, lit_off, fbits, ints, out):  # type: ignore[no-untyped-def]
    """Print events: for each event (row of fbits/ints) run the op list; returns bytes used.

    ops[j] = (kind, arg): kind 0 copies literal `arg`, 1 prints double column `arg`,
    2 prints int column `arg`.
    """
    digits = np.empty(_DIGIT_BUF, dtype=np.uint8)
    pos = 0
    for i in range(fbits.shape[0]):
        for j in range(ops.shape[0]):
            kind = ops[j, 0]
            arg = ops[j, 1]
            if kind == 0:
                pos = _put_literal(out, pos, lit, lit_off[arg], lit_off[arg + 1])
            elif kind == 1:
                pos = _put_double(out, pos, fbits[i, arg], digits)
            else:
                pos = _put_int(out, pos, ints[i, arg], digits)
    return pos


#: Literals of the ragged-part lines (`_emit_rest`): "V ", " 0 [", "] @ ", " ", "\n", "P ".
_REST_LIT = np.frombuffer(b"V  0 [] @  \nP " + bytes(8), dtype=np.uint8).copy()
_REST_OFF = np.array([0, 2, 6, 10, 11, 12, 14], dtype=np.int64)


@nb.njit(cache=True, nogil=True)
def _emit_rest(ops, lit, lit_off, fbits, ints, out, r_off, r_pdg, r_status, r_mother, r_bits,
               v_bits, n_template, n_out, n_vert):  # type: ignore[no-untyped-def]  # fmt: skip
    """`_emit` for events with a ragged part (record.Ragged): each event's template text, then
    its ragged particles, a V line before the first daughter of each mother (the vertex at
    that daughter's production point). `r_bits` (K, 5) px py pz E m and `v_bits` (K, 4)
    x y z c·t as uint64 bits; mother indices ≥ n_template are ragged particles (written with
    ids n_out + 1, ...); vertices continue from −(n_vert + 1)."""
    digits = np.empty(_DIGIT_BUF, dtype=np.uint8)
    sl, so = _REST_LIT, _REST_OFF
    pos = 0
    for i in range(fbits.shape[0]):
        pos += _emit(ops, lit, lit_off, fbits[i : i + 1], ints[i : i + 1], out[pos:])
        vid = n_vert
        prev = -1
        base = r_off[i]
        for j in range(r_off[i], r_off[i + 1]):
            m = r_mother[j]
            if j == base or m != prev:
                prev = m
                vid += 1
                mid = m + 1 if m < n_template else n_out + (m - n_template) + 1
                pos = _put_literal(out, pos, sl, so[0], so[1])
                pos = _put_int(out, pos, -vid, digits)
                pos = _put_literal(out, pos, sl, so[1], so[2])
                pos = _put_int(out, pos, mid, digits)
                pos = _put_literal(out, pos, sl, so[2], so[3])
                for c in range(4):
                    if c:
                        pos = _put_literal(out, pos, sl, so[3], so[4])
                    pos = _put_double(out, pos, v_bits[j, c], digits)
                pos = _put_literal(out, pos, sl, so[4], so[5])
            pos = _put_literal(out, pos, sl, so[5], so[6])
            pos = _put_int(out, pos, n_out + (j - base) + 1, digits)
            pos = _put_literal(out, pos, sl, so[3], so[4])
            pos = _put_int(out, pos, -vid, digits)
            pos = _put_literal(out, pos, sl, so[3], so[4])
            pos = _put_int(out, pos, r_pdg[j], digits)
            for c in range(5):
                pos = _put_literal(out, pos, sl, so[3], so[4])
                pos = _put_double(out, pos, r_bits[j, c], digits)
            pos = _put_literal(out, pos, sl, so[3], so[4])
            pos = _put_int(out, pos, r_status[j], digits)
            pos = _put_literal(out, pos, sl, so[4], so[5])
    return pos


@nb.njit(cache=True)
def _emit_doubles(bits, out, offsets):  # type: ignore[no-untyped-def]
    digits = np.empty(_DIGIT_BUF, dtype=np.uint8)
    pos = 0
    for i in range(bits.shape[0]):
        pos = _put_double(out, pos, bits[i], digits)
        offsets[i + 1] = pos
    return pos


def format_doubles(values: NDArray[np.float64]) -> list[str]:
    """Print doubles as the writer does (shortest round-trip string, Python repr layout)."""
    x = np.ascontiguousarray(values, dtype=np.float64).ravel()
    out = np.empty(x.size * _MAX_DOUBLE_CHARS + _SLACK, dtype=np.uint8)
    offsets = np.zeros(x.size + 1, dtype=np.int64)
    used = _emit_doubles(x.view(np.uint64), out, offsets)
    text = out[:used].tobytes().decode("ascii")
    return [text[a:b] for a, b in itertools.pairwise(offsets.tolist())]


# ------------------------------------------------------------------------------------------
# Templates: one per block, built from the particle template.
# ------------------------------------------------------------------------------------------


def _escape(s: str) -> str:
    """HepMC3's escaping of attribute values and run-info strings."""
    return s.replace("\\", "\\\\").replace("\n", "\\|")


def _check_name(kind: str, name: str) -> str:
    if not name or any(c.isspace() for c in name):
        raise ValueError(f"HepMC3 {kind} name {name!r} must be non-empty without whitespace")
    return name


def _value_str(v: Any) -> str:
    if isinstance(v, bool | np.bool_):
        return str(int(v))
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        return repr(float(v))
    return _escape(str(v))


class _Template:
    """The text of one event of a block, with float/int fields left open."""

    def __init__(self) -> None:
        self.items: list[str | tuple[int, int]] = []
        self.n_float = 0
        self.n_int = 0

    def lit(self, s: str) -> None:
        if self.items and isinstance(self.items[-1], str):
            self.items[-1] += s
        else:
            self.items.append(s)

    def f(self) -> None:
        self.items.append((1, self.n_float))
        self.n_float += 1

    def i(self, column: int) -> None:
        self.items.append((2, column))
        self.n_int = max(self.n_int, column + 1)

    def compile(self) -> tuple[NDArray[np.int64], NDArray[np.uint8], NDArray[np.int64], int]:
        ops, lits = [], []
        for it in self.items:
            if isinstance(it, str):
                ops.append((0, len(lits)))
                lits.append(it.encode("ascii"))
            else:
                ops.append(it)
        off = np.zeros(len(lits) + 1, dtype=np.int64)
        np.cumsum([len(s) for s in lits], out=off[1:])
        # padded by 8 bytes: the kernel copies literals in 8-byte moves
        lit = np.frombuffer(b"".join(lits) + bytes(8), dtype=np.uint8).copy()
        n_lit = int(off[-1])
        return np.array(ops, dtype=np.int64).reshape(-1, 2), lit, off, n_lit


class _BlockPlan:
    """How a block (particle template) maps onto HepMC3 lines and per-event columns."""

    def __init__(self, block: Block, head: str, weight_names: list[str], has_xs: bool) -> None:
        pdg, status, mother = block.pdg, block.status, block.mother
        ragged = block.rest is not None  # E-line counts per event (int columns 2, 3)
        n_part = pdg.shape[0]
        has_daughters = np.zeros(n_part, dtype=bool)
        has_daughters[mother[mother >= 0]] = True
        # status-1 particles with daughters (bremsstrahlung, module doc): written status 2
        self.radiators = [i for i in range(n_part) if status[i] == FINAL and has_daughters[i]]
        self.daughters = [np.flatnonzero(mother == i) for i in self.radiators]
        status = status.copy()
        status[self.radiators] = DECAYED
        n_out = n_part + len(self.radiators)
        beams = [i for i in range(n_part) if status[i] == BEAM]
        beam_set = set(beams)
        # parent of each particle: -1 primary vertex, k >= 0 the decay vertex of particle k
        parent = [-2 if i in beam_set else -1 for i in range(n_part)]
        for i in range(n_part):
            m = int(mother[i])
            if i not in beam_set and m >= 0 and m not in beam_set:
                parent[i] = m
        # vertices in order of their first outgoing particle: key -1 primary, else mother index
        vid: dict[int, int] = {}
        vpos_particle: list[int] = []  # template particle whose production vertex gives V pos
        for i in range(n_part):
            if parent[i] != -2 and parent[i] not in vid:
                vid[parent[i]] = -(len(vid) + 1)
                vpos_particle.append(i)
        if not vid:  # beams only: an empty primary vertex at the beams' origin
            vid[-1] = -1
            vpos_particle.append(0)
        self.vpos_particle = np.array(vpos_particle, dtype=np.intp)
        self.weight_names = weight_names
        vertex_cols: dict[int, int] = {}  # vertex k -> its first template float column
        particle_cols: dict[int, int] = {}  # particle i -> its first template float column
        head = head.replace("\x01", _escape(block.mode))

        t = _Template()
        t.lit("E ")
        t.i(0)
        if ragged:
            t.lit(" ")
            t.i(2)
            t.lit(" ")
            t.i(3)
            t.lit("\nU GEV MM\nW")
        else:
            t.lit(f" {len(vid)} {n_out}\nU GEV MM\nW")
        for _ in weight_names:
            t.lit(" ")
            t.f()
        t.lit("\n")
        if has_xs:
            head_xs, head_rest = head.split("\x00")
            t.lit(head_xs)
            t.i(1)
            t.lit(" ")
            t.i(1)
            t.lit(head_rest)
        else:
            t.lit(head)
        written: set[int] = set()
        vorder = list(vid)
        for i in range(n_part):
            key = parent[i]
            if key != -2 and key not in written:
                written.add(key)
                incoming = beams if key == -1 else [key]
                ids = ",".join(str(j + 1) for j in sorted(incoming))
                t.lit(f"V {vid[key]} 0 [{ids}] @ ")
                k = vorder.index(key)
                t.f()  # x, y, z, c·t of vertex k: float columns filled in `columns`
                t.lit(" ")
                t.f()
                t.lit(" ")
                t.f()
                t.lit(" ")
                t.f()
                t.lit("\n")
                vertex_cols[k] = t.n_float - 4
            second = 0 if key == -2 else vid[key]
            t.lit(f"P {i + 1} {second} {int(pdg[i])} ")
            particle_cols[i] = t.n_float
            for c in range(5):
                if c:
                    t.lit(" ")
                t.f()
            t.lit(f" {int(status[i])}\n")
        for j, i in enumerate(self.radiators):  # the e± after the emission, out of its vertex
            t.lit(f"P {n_part + j + 1} {vid[i]} {int(pdg[i])} ")
            particle_cols[n_part + j] = t.n_float
            for c in range(5):
                if c:
                    t.lit(" ")
                t.f()
            t.lit(f" {FINAL}\n")
        if len(written) < len(vid):  # beams-only event: primary vertex after the beams
            t.lit(f"V -1 0 [{','.join(str(j + 1) for j in beams)}] @ ")
            vertex_cols[0] = t.n_float
            for c in range(4):
                if c:
                    t.lit(" ")
                t.f()
            t.lit("\n")
        self.n_float = t.n_float
        self.ops, self.lit, self.lit_off, self.n_lit = t.compile()
        self.n_int = max(t.n_int, 2)
        nw = len(weight_names)
        # float columns: the natural order is [weights | particles | vertices]; `perm` gives,
        # for each template column (order of appearance in the text), its natural column.
        perm = np.empty(self.n_float, dtype=np.intp)
        perm[:nw] = np.arange(nw)
        for i in range(n_out):
            perm[particle_cols[i] : particle_cols[i] + 5] = nw + 5 * i + np.arange(5)
        base = nw + 5 * n_out
        self.n_out = n_out
        for k, c0 in vertex_cols.items():
            perm[c0 : c0 + 4] = base + 4 * k + np.arange(4)
        # the kernel reads the natural columns: each double op names its natural column
        is_float = self.ops[:, 0] == 1
        self.ops[is_float, 1] = perm[self.ops[is_float, 1]]
        self.n_vertices = len(vid)

    def columns(
        self, block: Block, weights: NDArray[np.float64], lo: int, hi: int
    ) -> NDArray[np.float64]:
        """(hi−lo, n_float) doubles for events lo:hi of the block, natural column order
        ([weights | particles px py pz E m | vertices x y z c·t]; `ops` name these columns)."""
        p4 = block.p4[lo:hi]
        n, n_part = p4.shape[:2]
        if self.radiators:  # before the emission: own + daughters'; after: appended
            after = p4[:, self.radiators]
            before = after.copy()
            for j, d in enumerate(self.daughters):
                before[:, j] += p4[:, d].sum(axis=1)
            p4 = np.concatenate([p4, after], axis=1)
            p4[:, self.radiators] = before
        n_part = self.n_out
        nw = weights.shape[1]
        nat = np.empty((n, nw + 5 * n_part + 4 * self.n_vertices))
        nat[:, :nw] = weights[lo:hi]
        part = nat[:, nw : nw + 5 * n_part].reshape(n, n_part, 5)
        part[:, :, :4] = p4
        px, py, pz, e = p4[..., 0], p4[..., 1], p4[..., 2], p4[..., 3]
        m2 = e * e - (px * px + py * py + pz * pz)  # as HepMC3 FourVector::m2()
        part[:, :, 4] = np.sign(m2) * np.sqrt(np.abs(m2))
        vtx = nat[:, nw + 5 * n_part :].reshape(n, self.n_vertices, 4)
        vtx[:] = block.vertex[lo:hi][:, self.vpos_particle, :]
        vtx[:, :, 3] *= C_MM_PER_NS
        return nat


# ------------------------------------------------------------------------------------------
# Writer
# ------------------------------------------------------------------------------------------


class HepMC3Writer:
    """Stream EventRecords into a HepMC3 ASCII file (gzip if the name ends with ".gz").

    Writes to a unique temporary name beside `path` (alpsim/commit.py) and renames it to
    `path` on a clean close; on an exception inside the ``with`` block (or `abort`) the
    temporary file is removed and `path` is untouched.

    >>> with HepMC3Writer("out.hepmc3", info) as w:  # doctest: +SKIP
    ...     for record in chunks:
    ...         w.write(record)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        info: Mapping[str, Any] | None = None,
        compresslevel: int = 1,
        threads: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.tmp_path = temp_path(self.path)  # unique per process and writer
        self.info = dict(info or {})
        self.n_events = 0
        # numba's configured thread count, read without nb.get_num_threads(), which would start
        # numba's threading layer (never used here; a started layer rules out forking workers)
        default = int(nb.config.NUMBA_NUM_THREADS)
        self.threads = default if threads is None else max(1, int(threads))
        self._weight_names: list[str] | None = None
        if "weight_names" in self.info:
            self._set_weight_names(list(self.info["weight_names"]))
        xs = self.info.get("cross_section_fb")
        self._xs_pb = None if xs is None else float(xs) / 1000.0
        self._xs_err_pb = float(self.info.get("cross_section_error_fb", 0.0)) / 1000.0
        self._plans: dict[tuple, _BlockPlan] = {}
        self._head_cache: dict[str, str] = {}
        raw = open(self.tmp_path, "wb")
        if self.path.name.endswith(".gz"):
            self._file: Any = gzip.GzipFile(
                filename=self.path.name[:-3],
                mode="wb",
                fileobj=raw,
                compresslevel=compresslevel,
                mtime=0,
            )
        else:
            self._file = raw
        self._raw = raw
        self._header_done = False
        self._closed = False
        self._pool: ThreadPoolExecutor | None = None  # segment threads
        self._writer: ThreadPoolExecutor | None = None  # the one thread writing the file
        self._pending: deque[tuple[Future[None], NDArray[np.uint8]]] = deque()
        self._free: list[NDArray[np.uint8]] = []

    # -- run info --------------------------------------------------------------------------
    def _set_weight_names(self, named: list[str]) -> None:
        names = ["nominal"] + [str(n) for n in named if n != "nominal"]
        for n in names:
            _check_name("weight", n)
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate weight names: {names}")
        self._weight_names = names

    def _header(self) -> str:
        assert self._weight_names is not None
        lines = [f"HepMC::Version {HEPMC3_FORMAT_VERSION}\n", _HEADER_START]
        lines.append("W " + _escape("\n".join(self._weight_names)) + "\n")
        version = str(self.info.get("version", __version__))
        desc = str(
            self.info.get(
                "description", "alpsim: axion-like particles at e+e- colliders (truth record)"
            )
        )
        lines.append("T " + _escape(f"alpsim\n{version}\n{desc}") + "\n")
        scalars = {
            k: v
            for k, v in self.info.items()
            if isinstance(v, str | int | float | bool | np.integer | np.floating | np.bool_)
            and k not in ("version", "description")
        }
        for k in sorted(scalars):
            lines.append(f"A {_check_name('attribute', k)} {_value_str(scalars[k])}\n")
        return "".join(lines)

    def _write_header(self) -> None:
        if self._weight_names is None:
            self._set_weight_names([])
        self._file.write(self._header().encode("utf-8"))
        self._header_done = True

    def _event_head(self, channel: str) -> str:
        """Attribute lines shared by all events of a channel; \\x01 marks the mode name and
        \\x00 the place of the accepted/attempted counts of GenCrossSection."""
        if channel in self._head_cache:
            return self._head_cache[channel]
        attrs: dict[str, str] = {"channel": _escape(channel), "decay_mode": "\x01"}
        if "m_a" in self.info:
            attrs["alp_mass"] = _value_str(float(self.info["m_a"]))
        if "ctau" in self.info:
            attrs["alp_ctau"] = _value_str(float(self.info["ctau"]))
        if self._xs_pb is not None:
            attrs["GenCrossSection"] = f"{self._xs_pb!r} {self._xs_err_pb!r} \x00"
        out = []
        for k in sorted(attrs):  # HepMC3 keeps attributes in a std::map: byte order
            out.append(f"A 0 {k} {attrs[k]}\n")
        head = "".join(out)
        self._head_cache[channel] = head
        return head

    # -- events ----------------------------------------------------------------------------
    def write(self, record: EventRecord) -> int:
        """Append the events of one record (chunk); returns the number written."""
        if self._closed:
            raise ValueError("writer is closed")
        if self._weight_names is None:
            self._set_weight_names(record.weight_names())
        if not self._header_done:
            self._write_header()
        names = self._weight_names
        assert names is not None
        unknown = [k for k in record.weight_names() if k not in names]
        if unknown:
            raise ValueError(
                f"record has weights {unknown} not declared in the file header {names}; "
                "pass info['weight_names'] to declare them up front"
            )
        head = self._event_head(record.channel)
        evnum = record.event_number
        start = 0
        for block in record.blocks:
            n = block.n_events
            if n == 0:
                continue
            w = np.empty((n, len(names)))
            for j, k in enumerate(names):
                w[:, j] = block.weights.get(k, 1.0)
            key = (
                record.channel,
                block.mode,
                block.pdg.tobytes(),
                block.status.tobytes(),
                block.mother.tobytes(),
                block.rest is not None,
            )
            plan = self._plans.get(key)
            if plan is None:
                plan = _BlockPlan(block, head, names, self._xs_pb is not None)
                self._plans[key] = plan
            if block.rest is not None:
                self._write_rest(plan, block, w, evnum[start : start + n])
                start += n
                self.n_events += n
                continue
            for lo in range(0, n, CHUNK_EVENTS):
                hi = min(n, lo + CHUNK_EVENTS)
                fcols = plan.columns(block, w, lo, hi)
                ints = np.empty((hi - lo, plan.n_int), dtype=np.int64)
                ints[:, 0] = evnum[start + lo : start + hi]
                ints[:, 1] = self.n_events + np.arange(lo + 1, hi + 1)
                per_event = (
                    plan.n_lit + plan.n_float * _MAX_DOUBLE_CHARS + plan.n_int * 2 * _MAX_INT_CHARS
                )
                self._print(plan, fcols, ints, per_event)
            start += n
            self.n_events += n
        return start

    def _write_rest(
        self, plan: _BlockPlan, block: Block, w: NDArray[np.float64], evnum: NDArray[np.int64]
    ) -> None:
        """Events of a block with a ragged part (record.Ragged), one thread: the template
        text with per-event E-line counts, then each event's ragged particles (`_emit_rest`)."""
        rest = block.rest
        assert rest is not None
        new_vertex = np.ones(rest.pdg.size, dtype=bool)
        new_vertex[1:] = rest.mother[1:] != rest.mother[:-1]
        new_vertex[rest.offsets[:-1][rest.counts > 0]] = True
        n_vert_rest = np.bincount(rest.event[new_vertex], minlength=block.n_events)
        p4 = rest.p4
        m2 = p4[:, 3] ** 2 - (p4[:, 0] ** 2 + p4[:, 1] ** 2 + p4[:, 2] ** 2)
        r_f = np.column_stack([p4, np.sign(m2) * np.sqrt(np.abs(m2))])
        v_f = rest.vertex.copy()
        v_f[:, 3] *= C_MM_PER_NS
        n = block.n_events
        for lo in range(0, n, CHUNK_EVENTS):
            hi = min(n, lo + CHUNK_EVENTS)
            fcols = plan.columns(block, w, lo, hi)
            ints = np.empty((hi - lo, plan.n_int), dtype=np.int64)
            ints[:, 0] = evnum[lo:hi]
            ints[:, 1] = self.n_events + np.arange(lo + 1, hi + 1)
            ints[:, 2] = plan.n_vertices + n_vert_rest[lo:hi]
            ints[:, 3] = plan.n_out + rest.counts[lo:hi]
            a, b = int(rest.offsets[lo]), int(rest.offsets[hi])
            size = (hi - lo) * (plan.n_lit + plan.n_float * _MAX_DOUBLE_CHARS
                                + plan.n_int * 2 * _MAX_INT_CHARS)  # fmt: skip
            size += (b - a) * (9 * _MAX_DOUBLE_CHARS + 7 * _MAX_INT_CHARS + 16)
            out = np.empty(size + _SLACK, dtype=np.uint8)
            used = _emit_rest(
                plan.ops, plan.lit, plan.lit_off, fcols.view(np.uint64), ints, out,
                rest.offsets[lo : hi + 1] - a, rest.pdg[a:b].astype(np.int64),
                rest.status[a:b].astype(np.int64), rest.mother[a:b].astype(np.int64),
                np.ascontiguousarray(r_f[a:b]).view(np.uint64),
                np.ascontiguousarray(v_f[a:b]).view(np.uint64),
                block.n_particles, plan.n_out, plan.n_vertices,
            )  # fmt: skip
            self._submit(out, [(0, used)])

    def _buffer(self, size: int) -> NDArray[np.uint8]:
        """A text buffer no pending write uses: one of two kept between chunks (no fresh
        pages to fault in per chunk), so one chunk is printed while the other is written."""
        while len(self._pending) >= 2:  # wait for the oldest write, reuse its buffer
            future, buf = self._pending.popleft()
            future.result()
            self._free.append(buf)
        for i, buf in enumerate(self._free):
            if buf.size >= size:
                return self._free.pop(i)
        if self._free:
            self._free.pop(0)
        return np.empty(size, dtype=np.uint8)

    def _write_parts(self, out: NDArray[np.uint8], parts: list[tuple[int, int]]) -> None:
        view = memoryview(out)
        for o, m in parts:
            self._file.write(view[o : o + m])

    def _submit(self, out: NDArray[np.uint8], parts: list[tuple[int, int]]) -> None:
        """Write out[o : o + m] for each part, in order, on the writer thread (file writes and
        zlib release the GIL: the next chunk is printed meanwhile)."""
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, "alpsim-hepmc3-write")
        self._pending.append((self._writer.submit(self._write_parts, out, parts), out))

    def _drain(self) -> None:
        """Wait for all pending writes (raises the first write error)."""
        while self._pending:
            future, buf = self._pending.popleft()
            future.result()
            self._free.append(buf)

    def _print(
        self, plan: _BlockPlan, fcols: NDArray[np.float64], ints: NDArray[np.int64], per_event: int
    ) -> None:
        """Print events into the buffer, in segments over threads, and write them in order.

        Segments run `_emit` (compiled, GIL released) on a thread pool, the calling thread
        taking the first: no spinning worker threads between chunks, unlike a parallel
        region; the text does not depend on the number of segments."""
        n = fcols.shape[0]
        bits = fcols.view(np.uint64)
        n_seg = min(self.threads, max(1, n // 256))
        ev_start = np.linspace(0, n, n_seg + 1).astype(np.int64).tolist()
        seg_size = [(b - a) * per_event + _SLACK for a, b in itertools.pairwise(ev_start)]
        out_start = [0, *itertools.accumulate(seg_size)][:-1]
        out = self._buffer(sum(seg_size))
        args = (plan.ops, plan.lit, plan.lit_off)

        def segment(s: int) -> int:
            a, b = ev_start[s], ev_start[s + 1]
            o = out_start[s]
            return int(_emit(*args, bits[a:b], ints[a:b], out[o : o + seg_size[s]]))

        if n_seg > 1:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads - 1, "alpsim-hepmc3")
            futures = [self._pool.submit(segment, s) for s in range(1, n_seg)]
            lens = [segment(0)] + [f.result() for f in futures]
        else:
            lens = [segment(0)]
        self._submit(out, list(zip(out_start, lens, strict=True)))

    # -- closing ---------------------------------------------------------------------------
    def finish(self) -> Path:
        """Finish the temporary file (footer) without renaming it; returns it. The run
        commits all its outputs together (alpsim/commit.py)."""
        if self._closed:
            return self.tmp_path
        try:
            self._drain()
            if not self._header_done:
                self._write_header()
            self._file.write(_FOOTER.encode("ascii"))
            self._file.close()
            self._raw.close()
        except BaseException:
            self.abort()
            raise
        self._closed = True
        self._release()
        return self.tmp_path

    def close(self, force: bool = True) -> None:
        """Finish the file (footer) and rename it to its final name."""
        if self._closed:
            return
        commit([(self.finish(), self.path)], force=force)

    def abort(self) -> None:
        """Drop the temporary file; the final path is not created."""
        if self._closed:
            return
        self._closed = True
        for future, _ in getattr(self, "_pending", ()):  # let pending writes end first
            try:
                future.result()
            except Exception:
                pass
        for f in (self._file, self._raw):
            try:
                f.close()
            except Exception:
                pass
        self.tmp_path.unlink(missing_ok=True)
        self._release()

    def _release(self) -> None:
        """Free the text buffers and stop the threads (segments, writer)."""
        self._pending = deque()
        self._free = []
        for name in ("_pool", "_writer"):
            pool = getattr(self, name, None)
            setattr(self, name, None)
            if pool is not None:
                pool.shutdown(wait=True)

    def __enter__(self) -> HepMC3Writer:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def __del__(self) -> None:  # never leave a half-written temporary behind
        if not getattr(self, "_closed", True):
            self.abort()


def write_hepmc3(
    path: str | os.PathLike[str],
    records: Iterable[EventRecord],
    info: Mapping[str, Any] | None = None,
    compresslevel: int = 1,
    threads: int | None = None,
) -> int:
    """Write records to a HepMC3 ASCII file (via a temporary name); returns the event count.

    `compresslevel` applies to ".gz" names; `threads` (default: numba's configured thread
    count) splits the printing of each chunk of events over threads; the file is the same for
    any value.
    """
    with HepMC3Writer(path, info, compresslevel=compresslevel, threads=threads) as w:
        for record in records:
            w.write(record)
    return w.n_events


# ------------------------------------------------------------------------------------------
# Summary reader (any file pyhepmc reads: HepMC3, HepMC2, LHEF)
# ------------------------------------------------------------------------------------------


def _attr_value(a: Any) -> Any:
    if hasattr(a, "astype"):  # UnparsedAttribute: the file's string
        return a.astype(str)
    if hasattr(a, "xsec"):
        return _xs_dict(a)
    return a if isinstance(a, str | int | float | bool) else str(a)


def _xs_dict(cs: Any) -> dict[str, Any] | None:
    if cs is None:
        return None
    try:
        return {
            "xsec_pb": float(cs.xsec()),
            "xsec_err_pb": float(cs.xsec_err()),
            "accepted_events": int(cs.accepted_events),
            "attempted_events": int(cs.attempted_events),
        }
    except Exception:  # an unparsable cross-section attribute
        return None


def _open_text(path: Path) -> io.BufferedIOBase:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def read_hepmc3_summary(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Summarise a HepMC file (any format pyhepmc reads): events, run info, first event.

    Returns ``n_events``, ``format``, ``run_info`` (tools, weight names, attributes),
    ``weight_names``, ``first_event`` (number, counts, units, weights, attributes as strings)
    and ``cross_section`` (pb: of the last event, the generator's final estimate, for ASCII
    HepMC3 files; of the first event otherwise; None if absent).
    """
    import pyhepmc

    path = Path(path)
    summary: dict[str, Any] = {"path": str(path)}
    with pyhepmc.open(str(path)) as f:
        reader = type(f._reader).__name__ if hasattr(f, "_reader") else "?"
        summary["format"] = {
            "ReaderAscii": "HepMC3",
            "ReaderAsciiHepMC2": "HepMC2",
            "ReaderLHEF": "LHEF",
            "ReaderHEPEVT": "HEPEVT",
        }.get(reader, reader)
        first = f.read()
        n_events = 0 if first is None else 1
        last_xs = None
        if first is not None and summary["format"] != "HepMC3":
            for ev in f:  # other formats: count with pyhepmc
                n_events += 1
                if ev.cross_section is not None:
                    last_xs = ev.cross_section
    ri = first.run_info if first is not None else None
    run_info: dict[str, Any] = {"tools": [], "weight_names": [], "attributes": {}}
    if ri is not None:
        run_info["tools"] = [
            {"name": t.name, "version": t.version, "description": t.description} for t in ri.tools
        ]
        run_info["weight_names"] = list(ri.weight_names)
        run_info["attributes"] = {k: _attr_value(ri.attributes[k]) for k in ri.attributes}
    summary["run_info"] = run_info
    summary["weight_names"] = run_info["weight_names"]
    summary["first_event"] = None
    summary["cross_section"] = None
    if first is not None:
        attrs = {k: _attr_value(first.attributes[k]) for k in first.attributes}
        summary["first_event"] = {
            "event_number": int(first.event_number),
            "n_particles": len(first.particles),
            "n_vertices": len(first.vertices),
            "momentum_unit": str(first.momentum_unit).split(".")[-1],
            "length_unit": str(first.length_unit).split(".")[-1],
            "weights": list(first.weights),
            "attributes": attrs,
        }
        summary["cross_section"] = _xs_dict(first.cross_section)
    if summary["format"] == "HepMC3":
        # count E lines and keep the last cross section: a text scan, much faster than
        # parsing every event
        n_events = 0
        last_line = None
        with _open_text(path) as fh:
            for line in fh:
                if line.startswith(b"E "):
                    n_events += 1
                elif line.startswith(b"A 0 GenCrossSection "):
                    last_line = line
        if last_line is not None:
            parts = last_line.split()[3:]
            summary["cross_section"] = {
                "xsec_pb": float(parts[0]),
                "xsec_err_pb": float(parts[1]),
                "accepted_events": int(parts[2]) if len(parts) > 2 else -1,
                "attempted_events": int(parts[3]) if len(parts) > 3 else -1,
            }
    elif last_xs is not None:
        summary["cross_section"] = _xs_dict(last_xs)
    summary["n_events"] = n_events
    return summary
