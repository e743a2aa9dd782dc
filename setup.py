"""Build hook: the metadata is in pyproject.toml; this adds the processors and alert policies compiled by mypyc.

A wheel (``pip install .``, ``python -m build``) carries ``processors/`` and ``alerts/`` both as Python source and
compiled by mypyc (the compiled module is what Python imports): the same code, bit for bit the same outputs
(CI runs ``benchmarks.golden`` on the installed wheel against the source), ~20-30 % less CPU per tick
(docs/performance.md). An editable install (``pip install -e .``, the README's) stays plain Python, so an edited
file takes effect at once. ``CRAMPWATCH_MYPYC``: ``auto`` (default, as above), ``1`` (compile, even editable or
``setup.py build_ext --inplace`` for benchmarks; a failure is an error), ``0`` (never). Where no C compiler is
found, ``auto`` installs the plain-Python package with a warning.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
#: the packages compiled: pure computation (no I/O, no asyncio), every tick's code
COMPILED = ("processors", "alerts")
#: and the live pipeline's pure event-time modules a tick runs through. Not pipeline.py and ticks.py (benchmarks
#: replace their methods to time or count a tick, which a compiled class does not allow) nor intake.py (the
#: Python AthletePipeline subclasses its SampleIntake)
COMPILED_MODULES = (
    "monitor/core/eventtime.py",
    "monitor/core/grid.py",
    "monitor/core/output.py",
    "monitor/core/status.py",
)


def _mode() -> str:
    mode = os.environ.get("CRAMPWATCH_MYPYC", "auto").strip().lower()
    if mode not in ("auto", "0", "1"):
        raise SystemExit(f"CRAMPWATCH_MYPYC must be auto, 0 or 1, not {mode!r}")
    return mode


def _modules() -> list[str]:
    packages = [
        str(p.relative_to(ROOT)) for pkg in COMPILED for p in (ROOT / pkg).glob("*.py") if p.name != "__init__.py"
    ]
    return sorted([*packages, *COMPILED_MODULES])


class _OptionalBuildExt(build_ext):
    """``build_ext`` that, in ``auto`` mode, leaves the package plain Python when the C compiler fails (and removes
    what it did build: a module's compiled shim without the shared library would not import)."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # distutils' CCompilerError, PlatformError, ...: whatever the compiler raised
            if _mode() == "1":
                raise
            for out in self.get_outputs():
                Path(out).unlink(missing_ok=True)
            print(f"warning: crampwatch builds without mypyc ({exc}); the code runs as plain Python", file=sys.stderr)


def _ext_modules() -> list[Any]:
    mode = _mode()
    editable = "editable_wheel" in sys.argv
    if mode == "0" or (mode == "auto" and editable):
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        if mode == "1":
            raise
        print("warning: mypyc is not installed; crampwatch builds as plain Python", file=sys.stderr)
        return []
    try:
        return list(mypycify(_modules(), opt_level="3", group_name="crampwatch_native"))
    except (Exception, SystemExit) as exc:  # mypyc exits on a type error it cannot compile
        if mode == "1":
            raise
        print(f"warning: mypyc failed ({exc!r}); crampwatch builds as plain Python", file=sys.stderr)
        return []


setup(ext_modules=_ext_modules(), cmdclass={"build_ext": _OptionalBuildExt})
