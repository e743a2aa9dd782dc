"""The dataclasses built every tick have their ``__init__`` written out (mypyc compiles it; the generated one would
run as Python). ``@dataclass`` keeps a class's own ``__init__`` without a word, so a field added later and left out
of it would never be set: each written-out ``__init__`` must take the fields, in their order, with their defaults
(a ``default_factory`` field: ``None`` for a new one), and set every field."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import numpy as np
import pytest

from processors.cadence_variability import SteadyCadence
from processors.clean import CleanTail
from processors.gait import Gait
from processors.indicators import Indicators
from processors.registry import Context
from processors.risk import Risk
from processors.window import Window

WRITTEN_OUT = (Indicators, Context, Risk, Gait, SteadyCadence, CleanTail, Window)


def _required(cls: type) -> dict[str, Any]:
    """A value for each required parameter (of a type the class accepts)."""
    out: dict[str, Any] = {}
    for p in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        if p.default is inspect.Parameter.empty:
            arrays = cls in (CleanTail, Window) and p.name not in ("new_from", "session_start")
            out[p.name] = np.zeros(3) if arrays else 1
    if cls is Context:
        out["window"] = Window.from_arrays(t=np.arange(3.0))
    return out


@pytest.mark.parametrize("cls", WRITTEN_OUT, ids=lambda c: c.__name__)
def test_the_init_takes_the_fields_in_order_with_their_defaults(cls: type) -> None:
    assert "__init__" in vars(cls)
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    init_fields = [f for f in dataclasses.fields(cls) if f.init]  # Window's now/elapsed: init=False
    assert [p.name for p in params] == [f.name for f in init_fields]
    for p, f in zip(params, init_fields, strict=True):
        if f.default is not dataclasses.MISSING:
            assert p.default == f.default, f.name
        elif f.default_factory is not dataclasses.MISSING:
            assert p.default is None, f.name
        else:
            assert p.default is inspect.Parameter.empty, f.name


@pytest.mark.parametrize("cls", WRITTEN_OUT, ids=lambda c: c.__name__)
def test_the_init_sets_every_field(cls: type) -> None:
    obj = cls(**_required(cls))
    for f in dataclasses.fields(cls):
        value = getattr(obj, f.name)  # AttributeError if the written-out __init__ left a slot unset
        if f.default_factory is not dataclasses.MISSING:
            assert value == f.default_factory() and value is not getattr(cls(**_required(cls)), f.name)
