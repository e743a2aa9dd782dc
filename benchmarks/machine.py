"""What machine a benchmark ran on, and how fast it is at the kind of work the tick does.

    python -m benchmarks.machine          # one JSON line

The same code's tick measured 285 µs on one 2-vCPU VM and 763 µs on another (docs/performance.md ¹⁴): figures
from different machines cannot be compared without a yardstick. This one times two fixed pieces of work that
resemble the tick (which is ~1,000 small Python calls and ~100 small NumPy calls, no large arrays):

- ``python_us``: a pure-Python loop of float arithmetic, comparisons, a list, a sort and a dict (µs per loop);
- ``numpy_us``: ten NumPy calls on 600-element arrays, the size of a tick's window (µs per ten calls).

Each is the minimum of several repeats (the least disturbed run). Divide a tick median by ``python_us`` to compare
two machines: the ratio moves little from one VM to another; the microseconds move a lot.

>>> m = measure(repeats=2, loops=20)
>>> m["python_us"] > 0 and m["numpy_us"] > 0 and m["cpus"] >= 1
True
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import sys
import time
import timeit
from typing import Any

import numpy as np


def _python_work() -> float:
    """Float arithmetic, comparisons, a small list sorted, a dict read: the tick's pure-Python shape."""
    acc = 0.0
    values = [float((i * 7919) % 101) for i in range(64)]
    seen: dict[int, float] = {}
    for i, v in enumerate(values):
        x = v * 0.5 + 1.25
        if x > 20.0:
            acc += x / (1.0 + i)
        else:
            acc -= round(x, 3)
        seen[i & 7] = x
    values.sort()
    return acc + values[32] + sum(seen.values())


_A = np.linspace(0.0, 1.0, 600)
_B = np.full(600, 3.0)


def _numpy_work() -> float:
    """Ten NumPy calls on window-sized (600) arrays."""
    a = _A * _B
    m = np.isfinite(a)
    s = float(a[m].sum())
    s += float(np.median(a[-60:]))
    s += float(np.maximum(a, 0.5).mean())
    s += float(np.flatnonzero(a > 1.0).size)
    return s + float(np.searchsorted(_A, 0.5))


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def compiled() -> bool:
    """Whether the tick's code runs compiled by mypyc (an installed wheel, or ``CRAMPWATCH_MYPYC=1 python setup.py
    build_ext --inplace``) rather than as Python source (an editable install): the same outputs, ~30 % apart in
    speed (docs/performance.md)."""
    spec = importlib.util.find_spec("processors.clean")
    return spec is not None and spec.origin is not None and not spec.origin.endswith(".py")


def measure(repeats: int = 60, loops: int = 100) -> dict[str, Any]:
    """The machine's facts and its two yardsticks (µs per call, the minimum over ``repeats``)."""
    if repeats < 1 or loops < 1:
        raise ValueError("repeats and loops must be >= 1")
    py = min(timeit.repeat(_python_work, number=loops, repeat=repeats)) / loops * 1e6
    npy = min(timeit.repeat(_numpy_work, number=loops, repeat=repeats)) / loops * 1e6
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {
        "cpu": _cpu_model(),
        "cpus": os.cpu_count() or 1,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "compiled": compiled(),
        "load_1min": round(load, 2),
        "python_us": round(py, 2),
        "numpy_us": round(npy, 2),
        "when_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
    }


def describe(m: dict[str, Any]) -> str:
    """One line for a table: the yardsticks and the machine."""
    build = " (mypyc-compiled tick)" if m.get("compiled") else ""
    return (
        f"python {m['python_us']:.1f} µs / numpy {m['numpy_us']:.1f} µs per yardstick; {m['cpus']} × {m['cpu']}, "
        f"Python {m['python']}{build}, NumPy {m['numpy']}, load {m['load_1min']:g} ({m['when_utc']} UTC)"
    )


def main(argv: list[str] | None = None) -> None:
    del argv
    print(json.dumps(measure()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
