"""NumPy's float64 sum (``np.add.reduce``) of a short list in plain Python, bit for bit: the same pairwise order
(tests/processors/test_small_sums.py compares it with NumPy on random lists of every length up to 300). Cheaper
than building an array for a handful of values (each NumPy call costs about a microsecond)."""

from __future__ import annotations

from typing import Final

#: NumPy's pairwise-summation block (``PW_BLOCKSIZE``): up to this many values are added with 8 accumulators.
_BLOCK: Final = 128


def _pairwise(a: list[float], lo: int, n: int) -> float:
    """NumPy's ``pairwise_sum`` of ``a[lo : lo + n]``: under 8 values one after the other from -0.0; up to 128 values
    in 8 interleaved partial sums added as a tree, then the rest one by one; longer runs split in two (the first
    part a multiple of 8)."""
    if n < 8:
        res = -0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    if n <= _BLOCK:
        r0, r1, r2, r3, r4, r5, r6, r7 = a[lo : lo + 8]
        i, end = lo + 8, lo + n - n % 8
        while i < end:
            r0 += a[i]
            r1 += a[i + 1]
            r2 += a[i + 2]
            r3 += a[i + 3]
            r4 += a[i + 4]
            r5 += a[i + 5]
            r6 += a[i + 6]
            r7 += a[i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < lo + n:
            res += a[i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise(a, lo, n2) + _pairwise(a, lo + n2, n - n2)


def np_sum(a: list[float]) -> float:
    """``float(np.add.reduce(np.array(a, dtype=np.float64)))`` for a list of Python floats: the reduction starts from
    its identity 0.0 and adds the pairwise sum (so an all -0.0 list sums to 0.0, as in NumPy).

    >>> np_sum([]), np_sum([-0.0]), np_sum([0.1] * 10) == float(__import__("numpy").full(10, 0.1).sum())
    (0.0, 0.0, True)
    """
    if len(a) < 8:  # the usual few values: one after the other
        res = -0.0
        for x in a:
            res += x
        return 0.0 + res
    return 0.0 + _pairwise(a, 0, len(a))
