"""What would a batched tick cost? Three of the tick's steps written over an (athletes × seconds) array, timed per
athlete against today's per-athlete code at 1, 10, 100 and 1,000 athletes, and checked against it bit for bit.

    python -m benchmarks.batch_probe                 # B = 1, 10, 100, 1000; prints one JSON line
    python -m benchmarks.batch_probe --sizes 1,50    # other batch sizes

Issue 11's tick floor (<= 120 µs per athlete) is missed because a tick is ~100 small steps of Python and NumPy on
short arrays, each paying a call's overhead for a handful of values (docs/performance.md, "What limits each
figure"). Batching pays that overhead once for every athlete due in the same second. This probe measures how much
of it goes away, on the steps that cost most today, before anyone rewrites the 42 processors that way:

- ``recent_median``: the current value of each stream, the median of its last 12 cleaned seconds with gaps
  (``processors._util.recent_median``, four streams);
- ``hampel``: Hampel de-spiking of the 5 new seconds of three streams with their 11-s neighbourhoods
  (``processors._cleaning_lists.hampel_list``, as ``Clean._clean_small`` runs it);
- ``savgol``: the Savitzky–Golay centre fit of the new seconds (``processors._cleaning_lists._dots``).

"equal" says whether every batched result has the same bits as the per-athlete one (medians of the same values,
and sums taken term by term in the same order, are; a BLAS matrix product would not be). The per-athlete figures
are today's code in a loop; the batched ones include nothing of the gathering an (athletes × seconds) grid would
make unnecessary.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from benchmarks.machine import measure
from processors._cleaning_lists import _dots, _tail_coeffs, hampel_list
from processors._util import FloatArray, recent_median

RECENT, NEW, HALF = 12, 5, 5  # seconds of a current value; new seconds a tick; Hampel half width
SCALES = (2.0, 0.15, 3.0)  # Hampel's smallest robust scale per stream (processors.clean._MIN_SCALES)


def _data(b: int, n: int, seed: int = 7) -> FloatArray:
    """(b, 3, n) seconds of hr, speed, cadence with noise, a few spikes and a few gaps."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, [2.0, 0.05, 2.0], (b, n, 3)).transpose(0, 2, 1)
    base = np.array([150.0, 3.2, 172.0])[None, :, None] + noise
    spikes = rng.random(base.shape) < 0.03
    base[spikes] *= 1.3
    base[rng.random(base.shape) < 0.02] = np.nan
    return np.round(base, 2)


def median_rows(x: FloatArray, min_count: int = 3) -> FloatArray:
    """Per row, the median of the finite values (NaN below ``min_count``): ``recent_median`` for every row."""
    s = np.sort(x, axis=-1)  # NaN sorts last
    k = x.shape[-1] - np.count_nonzero(np.isnan(x), axis=-1)
    lo, hi = np.maximum((k - 1) // 2, 0), np.maximum(k // 2, 0)
    a = np.take_along_axis(s, lo[..., None], -1)[..., 0]
    c = np.take_along_axis(s, hi[..., None], -1)[..., 0]
    out: FloatArray = np.where(k % 2 == 1, a, 0.5 * (a + c))
    out[k < min_count] = np.nan
    return out


def hampel_batch(x: FloatArray, sigmas: float = 3.0) -> FloatArray:
    """Hampel's test of the last ``NEW`` seconds of every (athlete, stream) row, neighbourhoods of ``2·HALF + 1``
    reflected at the right end (as ``hampel_list`` with ``start = n - NEW``; rows without gaps)."""
    n = x.shape[-1]
    idx = np.arange(n - NEW, n)[:, None] + np.arange(-HALF, HALF + 1)[None, :]
    idx = np.where(idx > n - 1, 2 * (n - 1) - idx, idx)
    win = np.sort(x[..., idx], axis=-1)  # (b, 3, NEW, 11)
    med = win[..., HALF]
    mad = np.sort(np.abs(win - med[..., None]), axis=-1)[..., HALF]
    scale = np.maximum(1.4826 * mad, np.array(SCALES)[None, :, None])
    v = x[..., n - NEW :]
    out: FloatArray = np.where(np.abs(v - med) > sigmas * scale, med, v)
    return out


def savgol_batch(x: FloatArray, c: tuple[float, ...]) -> FloatArray:
    """The centre fits of the last ``NEW`` full windows, summed term by term from 0.0 like ``_dots``."""
    n, w = x.shape[-1], len(c)
    acc = np.zeros((*x.shape[:-1], NEW))
    for j, cj in enumerate(c):
        acc = acc + x[..., n - NEW - w + 1 + j : n - w + 1 + j] * cj
    return acc


def _per_athlete(data: FloatArray, step: str, c: tuple[float, ...]) -> list[float]:
    out: list[float] = []
    for rows in data:
        for i, row in enumerate(rows):
            if step == "recent_median":
                v = recent_median(row, RECENT, 3)
                out.append(np.nan if v is None else v)
            elif step == "hampel":
                out.extend(hampel_list(row.tolist(), row.shape[0] - NEW, HALF, 3.0, SCALES[i]))
            else:
                n = row.shape[0]
                out.extend(_dots(row.tolist(), n - NEW - len(c) + 1, n - len(c) + 1, c))
    return out


def _batched(data: FloatArray, step: str, c: tuple[float, ...]) -> FloatArray:
    if step == "recent_median":
        return median_rows(data[..., -RECENT:])
    if step == "hampel":
        return hampel_batch(data)
    return savgol_batch(data, c)


def _best(fn: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def probe(sizes: list[int], repeats: int = 7) -> dict[str, Any]:
    c = _tail_coeffs(7, 2)[0]
    result: dict[str, Any] = {"sizes": sizes, "steps": {}}
    for step in ("recent_median", "hampel", "savgol"):
        rows: dict[str, Any] = {}
        for b in sizes:
            data = _data(b, 40)
            if step != "recent_median":  # Hampel's and the fit's fast paths are for gap-free seconds
                data = np.nan_to_num(data, nan=150.0)
            one = _best(partial(_per_athlete, data, step, c), repeats) / b * 1e6
            many = _best(partial(_batched, data, step, c), repeats) / b * 1e6
            got = _batched(data, step, c).ravel()
            want = np.array(_per_athlete(data, step, c))
            equal = bool(got.shape == want.shape and (got.view(np.int64) == want.view(np.int64)).all())
            rows[str(b)] = {"per_athlete_us": round(one, 2), "batched_us": round(many, 3), "equal": equal}
        result["steps"][step] = rows
    return result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="cost per athlete of three tick steps, batched and not")
    ap.add_argument("--sizes", default="1,10,100,1000", help="batch sizes (athletes due in one second)")
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        ap.error("--sizes: whole numbers separated by commas")
    if not sizes or min(sizes) < 1 or args.repeats < 1:
        ap.error("--sizes and --repeats must be at least 1")
    result = probe(sizes, args.repeats)
    result["machine"] = measure()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
