"""The cleaning's Savitzky–Golay coefficients are SciPy's, bit for bit, and a monitor process does not import
``scipy.signal`` for them (~0.7 s of CPU at every start of ``crampwatch monitor``, and the test suite starts many)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from scipy.signal import savgol_coeffs as scipy_savgol_coeffs

from processors._savgol import SAVGOL_TABLE
from processors.cleaning import savgol_coeffs


def test_the_coefficients_are_scipys_bit_for_bit() -> None:
    for window in range(1, 26):
        for order in range(window):
            assert np.array_equal(savgol_coeffs(window, order), scipy_savgol_coeffs(window, order)), (window, order)
            for pos in range(window):
                for use in ("conv", "dot"):
                    mine = savgol_coeffs(window, order, pos=pos, use=use)
                    assert np.array_equal(mine, scipy_savgol_coeffs(window, order, pos=pos, use=use)), (window, pos)


def test_the_monitor_starts_without_scipy_signal() -> None:
    code = "import sys, monitor.cli, monitor.mqtt.service; print(sorted(m for m in sys.modules if 'scipy' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"


#: How far (in units of the largest coefficient's ulp) the computed coefficients may lie from the written-out ones:
#: SciPy's least-squares solve runs in LAPACK, whose kernels differ by CPU (the same wheel gave the table's bits on
#: an AMD EPYC VM and up to 10 ulps off them on an Intel Xeon one). The pipeline reads the table, not LAPACK, so
#: its statuses are the same on every CPU.
ULPS = 32


def test_the_written_out_coefficients_are_the_computed_ones() -> None:
    for (window, order), (centre, edge) in SAVGOL_TABLE.items():
        computed = np.stack([savgol_coeffs(window, order, pos=p, use="dot") for p in range(window)])
        for table, mine in ((np.array(centre), savgol_coeffs(window, order)), (np.array(edge), computed)):
            assert table.shape == mine.shape
            ulp = np.spacing(np.abs(table).max())
            assert np.abs(table - mine).max() <= ULPS * ulp, (window, order, np.abs(table - mine).max() / ulp)


def test_the_pipeline_reads_the_written_out_coefficients() -> None:
    """Not LAPACK's of this machine: the same bits on every CPU."""
    from processors.cleaning import _coeffs

    for (window, order), (centre, edge) in SAVGOL_TABLE.items():
        got_centre, got_edge = _coeffs(window, order)
        assert got_centre.tobytes() == np.array(centre).tobytes()
        assert got_edge.tobytes() == np.array(edge).tobytes()


def test_a_run_through_the_pipeline_does_not_import_scipy() -> None:
    code = (
        "import sys; from benchmarks.offline import bench_analyze; bench_analyze(0.1);"
        " print(sorted(m for m in sys.modules if 'scipy' in m))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"
