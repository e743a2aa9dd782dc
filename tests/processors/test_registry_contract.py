"""Contract test over every registered processor (river's ``test_stats`` style) and the registry itself."""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from processors.bins import BinStore
from processors.profile import Profile
from processors.registry import (
    REGISTRY,
    Context,
    Processor,
    RegistryError,
    load_all,
    register,
    resolve,
    topological_order,
)
from processors.window import Window
from tests.processors.synth import T0, hot_fast_run

ALL = sorted(load_all())


def _run_closure(symbol: str, windows: list[Window], profile: Profile) -> list[Any]:
    """Run ``symbol`` and its dependencies over consecutive windows; return its value after each."""
    procs = {s: REGISTRY[s]() for s in resolve([symbol])}
    last_t = -math.inf
    out = []
    for w in windows:
        first_new = int(np.searchsorted(w.t, last_t, side="right"))
        ctx = Context(window=w, profile=profile, first_new=first_new)
        for s, p in procs.items():
            p.update(ctx)
            ctx.results[s] = p.get()
        last_t = float(w.t[-1]) if len(w) else last_t
        out.append(ctx.results[symbol])
    return out


def _windows(kind: str) -> list[Window]:
    if kind == "nan":
        t = T0 + np.arange(1500.0)
        return [Window.from_arrays(t=t[: e + 1], session_start=T0) for e in range(400, 1500, 100)]
    if kind == "empty":
        return [Window.from_arrays(t=np.empty(0), session_start=T0)]
    run = hot_fast_run(minutes=26, seed=11)
    return [run.window(e) for e in range(60, len(run.t), 120)]


def snap(v: Any) -> Any:
    """A comparable, JSON-like snapshot of a processor value (arrays as lists, NaN as the string 'nan')."""
    if isinstance(v, BinStore):
        return snap(v.rows)
    if isinstance(v, np.ndarray):
        return snap(v.tolist())
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: snap(getattr(v, f.name)) for f in dataclasses.fields(v)}
    if isinstance(v, dict):
        return {k: snap(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [snap(x) for x in v]
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return v


#: Internal intermediate values that legitimately hold NaN (gaps) inside arrays.
INTERNAL = {"clean", "bins"}


def _finite_everywhere(x: Any) -> bool:
    if x == "nan":
        return False
    if isinstance(x, float):
        return math.isfinite(x)
    if isinstance(x, dict):
        return all(_finite_everywhere(v) for v in x.values())
    if isinstance(x, list | tuple):
        return all(_finite_everywhere(v) for v in x)
    return True


def test_registry_found_the_processors() -> None:
    assert len(ALL) >= 30
    for sym in ("clean", "hr", "pace", "stride_m", "trimp", "decoupling_pct", "risk", "level", "monotony"):
        assert sym in ALL


@pytest.mark.parametrize("symbol", ALL)
def test_declaration(symbol: str) -> None:
    cls = REGISTRY[symbol]
    assert issubclass(cls, Processor)
    assert cls.symbol == symbol
    for attr in ("name", "units", "source"):
        value = getattr(cls, attr)
        assert isinstance(value, str) and value.strip(), attr
    assert isinstance(cls.depends, tuple)
    assert all(d in REGISTRY for d in cls.depends)
    assert cls.__doc__ and len(cls.__doc__.strip()) > 40, "docstring explains the indicator and its source"
    # one indicator per file: the module registers exactly this processor
    module = sys.modules[cls.__module__]
    registered_here = [c for c in vars(module).values() if inspect.isclass(c) and c in REGISTRY.values()]
    assert registered_here == [cls]


@pytest.mark.parametrize("symbol", ALL)
def test_constructor_params_are_attributes(symbol: str) -> None:
    """river convention: every constructor parameter is kept under its own name."""
    cls = REGISTRY[symbol]
    proc = cls()
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name == "self":
            continue
        assert getattr(proc, name) == param.default


@pytest.mark.parametrize("symbol", ALL)
@pytest.mark.parametrize("kind", ["run", "nan", "empty"])
def test_deterministic_finite_and_restorable(symbol: str, kind: str) -> None:
    windows = _windows(kind)
    profile = Profile(training_pace=330, longest_run_min=90)
    a = _run_closure(symbol, windows, profile)
    b = _run_closure(symbol, windows, profile)
    assert snap(a) == snap(b), "same input, same output"
    if symbol not in INTERNAL:
        assert all(_finite_everywhere(snap(v)) for v in a), "no NaN or infinity leaks out"


@pytest.mark.parametrize("symbol", ALL)
def test_state_is_json_and_round_trips(symbol: str) -> None:
    windows = _windows("run")
    procs = {s: REGISTRY[s]() for s in resolve([symbol])}
    last_t = -math.inf
    profile = Profile(training_pace=330)
    for w in windows[:-1]:
        ctx = Context(window=w, profile=profile, first_new=int(np.searchsorted(w.t, last_t, side="right")))
        for s, p in procs.items():
            p.update(ctx)
            ctx.results[s] = p.get()
        last_t = float(w.t[-1])
    state = procs[symbol].state_dict()
    text = json.dumps(state, allow_nan=False)
    fresh = REGISTRY[symbol]()
    fresh.load_state(json.loads(text))
    assert json.dumps(fresh.state_dict(), allow_nan=False) == text


@pytest.mark.parametrize("symbol", ALL)
def test_rejects_nonsense_parameters(symbol: str) -> None:
    """Processors with numeric parameters validate them (a negative value is never meaningful here)."""
    cls = REGISTRY[symbol]
    params = [
        (n, p.default)
        for n, p in inspect.signature(cls.__init__).parameters.items()
        if n != "self" and isinstance(p.default, int | float) and not isinstance(p.default, bool)
    ]
    for name, _default in params:
        with pytest.raises(ValueError):
            cls(**{name: -1})


def test_topological_order_errors() -> None:
    with pytest.raises(RegistryError, match="cycle"):
        topological_order({"a": ("c",), "b": ("a",), "c": ("b",)})
    with pytest.raises(RegistryError, match="unknown"):
        topological_order({"a": ("nope",)})
    with pytest.raises(RegistryError, match="unknown processor"):
        resolve(["no-such-symbol"])


def test_engine_order_respects_dependencies() -> None:
    order = resolve()
    pos = {s: i for i, s in enumerate(order)}
    for s in order:
        for d in REGISTRY[s].depends:
            assert pos[d] < pos[s]


def test_register_checks_declarations() -> None:
    class NoSource(Processor):
        symbol = "test_no_source"
        name = "x"
        units = "x"

    with pytest.raises(RegistryError, match="source"):
        register(NoSource)

    class Clash(Processor):
        symbol = "hr"
        name = "x"
        units = "x"
        source = "x"

    with pytest.raises(RegistryError, match="declared by"):
        register(Clash)
    assert "test_no_source" not in REGISTRY


def test_processors_import_no_io_frameworks() -> None:
    code = (
        "import sys, processors.engine, processors.registry\n"
        "processors.registry.load_all()\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('asyncio', 'aiomqtt', 'pydantic', 'monitor', 'alerts', 'simulators', 'amqtt', 'paho')]\n"
        "print(','.join(sorted(bad)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
