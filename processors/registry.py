"""Self-registering processors and their dependency order.

Every indicator is one small class in its own module (the layout of river's ``river/stats`` and
GoldenCheetah's ``src/Metrics``). A class declares

* ``symbol`` — a stable identifier, also the key under which its value is published to later processors;
* ``name`` and ``units`` — for people;
* ``source`` — where the formula comes from (citation; the details are in ``docs/science.md``);
* ``depends`` — the symbols whose values it reads,

and registers itself with :func:`register`. The :class:`~processors.engine.Engine` instantiates every
registered class once per athlete and calls them in dependency order (:func:`resolve`), each tick:
``update(ctx)`` then ``get()``. A processor that keeps state between ticks (cumulative sums, hysteresis) also
implements :meth:`Processor.state_dict` / :meth:`Processor.load_state` with JSON-serialisable values.

>>> order = resolve(["stride_m"])
>>> order.index("clean") < order.index("speed") < order.index("stride_m")
True
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from processors.profile import Profile, SessionPlan
from processors.window import Window


class RegistryError(ValueError):
    """A processor declaration problem: duplicate symbol, missing dependency or a dependency cycle."""


@dataclass(slots=True)
class Context:
    """What one tick hands to every processor.

    ``first_new`` is the index (into ``window``) of the first grid second this engine has not integrated yet;
    cumulative processors integrate only ``window[first_new:]``. ``results`` maps the symbols computed so far
    in this tick to their values.
    """

    window: Window
    profile: Profile
    first_new: int
    results: dict[str, Any] = field(default_factory=dict)
    #: Today's plan (session ``start`` message): the pace the risk model judges against.
    plan: SessionPlan = field(default_factory=SessionPlan)

    def __init__(
        self,
        window: Window,
        profile: Profile,
        first_new: int,
        results: dict[str, Any] | None = None,
        plan: SessionPlan | None = None,
    ) -> None:
        """The dataclass's own ``__init__`` written out (the defaults: a new dict, a new plan): mypyc compiles this
        one, while the generated one runs as Python (~300 instructions more each tick)."""
        self.window = window
        self.profile = profile
        self.first_new = first_new
        self.results = {} if results is None else results
        self.plan = SessionPlan() if plan is None else plan

    def __getitem__(self, symbol: str) -> Any:
        return self.results[symbol]


class Processor:
    """Base class: one indicator, updated once per tick.

    Subclasses set the class attributes below, keep their constructor parameters as attributes of the same
    name, validate them in ``__init__`` (``ValueError``), and implement :meth:`update` and :meth:`get`.
    """

    symbol: ClassVar[str] = ""
    name: ClassVar[str] = ""
    units: ClassVar[str] = ""
    source: ClassVar[str] = ""
    depends: ClassVar[tuple[str, ...]] = ()

    def update(self, ctx: Context) -> None:
        raise NotImplementedError

    def get(self) -> Any:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable state carried between ticks (stateless processors: empty)."""
        return {}

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


P = TypeVar("P", bound=type[Processor])

#: symbol → processor class, filled by :func:`register` when the modules are imported.
REGISTRY: dict[str, type[Processor]] = {}

#: Modules of this package that are infrastructure, not processors.
_NOT_PROCESSORS = frozenset({"registry", "engine", "window", "profile", "indicators", "cleaning", "_util"})


def register(cls: P) -> P:
    """Add a processor to :data:`REGISTRY` (its declaration is checked here). Each processor module calls it after
    its class (``register(Clean)``), not as a decorator: mypyc compiles a decorated class as a Python class, which
    cannot subclass the compiled ``Processor``."""
    for attr in ("symbol", "name", "units", "source"):
        if not isinstance(getattr(cls, attr, None), str) or not getattr(cls, attr):
            raise RegistryError(f"{cls.__name__} must declare a non-empty {attr!r}")
    if not isinstance(cls.depends, tuple) or not all(isinstance(d, str) for d in cls.depends):
        raise RegistryError(f"{cls.__name__}.depends must be a tuple of symbols")
    existing = REGISTRY.get(cls.symbol)
    if existing is not None and existing.__qualname__ != cls.__qualname__:
        raise RegistryError(f"symbol {cls.symbol!r} is declared by {existing.__name__} and {cls.__name__}")
    REGISTRY[cls.symbol] = cls
    return cls


_loaded = False


def load_all() -> dict[str, type[Processor]]:
    """Import every processor module of the package (each registers itself) and return the registry."""
    global _loaded
    if not _loaded:
        import processors

        for info in pkgutil.iter_modules(processors.__path__):
            if info.name not in _NOT_PROCESSORS and not info.name.startswith("test"):
                importlib.import_module(f"processors.{info.name}")
        _loaded = True
    return REGISTRY


def topological_order(graph: dict[str, tuple[str, ...]]) -> list[str]:
    """Dependencies first; ties broken by symbol name so the order is deterministic.

    >>> topological_order({"c": ("a", "b"), "b": ("a",), "a": ()})
    ['a', 'b', 'c']
    >>> topological_order({"a": ("b",), "b": ("a",)})
    Traceback (most recent call last):
    ...
    processors.registry.RegistryError: dependency cycle among: a, b
    >>> topological_order({"a": ("x",)})
    Traceback (most recent call last):
    ...
    processors.registry.RegistryError: 'a' depends on unknown 'x'
    """
    for sym, deps in graph.items():
        for d in deps:
            if d not in graph:
                raise RegistryError(f"{sym!r} depends on unknown {d!r}")
    remaining = {s: set(d) for s, d in graph.items()}
    order: list[str] = []
    while remaining:
        ready = sorted(s for s, d in remaining.items() if not d)
        if not ready:
            raise RegistryError("dependency cycle among: " + ", ".join(sorted(remaining)))
        for s in ready:
            order.append(s)
            del remaining[s]
        for pending in remaining.values():
            pending.difference_update(ready)
    return order


def resolve(symbols: Iterable[str] | None = None) -> list[str]:
    """The symbols to run, in dependency order: all registered ones, or ``symbols`` and what they need."""
    reg = load_all()
    graph = {s: c.depends for s, c in reg.items()}
    if symbols is None:
        return topological_order(graph)
    wanted: set[str] = set()
    stack = list(symbols)
    while stack:
        s = stack.pop()
        if s in wanted:
            continue
        if s not in graph:
            raise RegistryError(f"unknown processor {s!r}")
        wanted.add(s)
        stack.extend(graph[s])
    return topological_order({s: graph[s] for s in wanted})


def compute(symbol: str, window: Window, profile: Profile | None = None) -> Any:
    """Run ``symbol`` and its dependencies once on a fresh state (handy in docs and tests).

    >>> import numpy as np
    >>> w = Window.from_arrays(t=np.arange(60.0), speed=np.full(60, 3.0), cadence=np.full(60, 180.0))
    >>> compute("stride_m", w)
    2.0
    """
    prof = profile if profile is not None else Profile()
    reg = load_all()
    ctx = Context(window=window, profile=prof, first_new=0)
    for s in resolve([symbol]):
        proc = reg[s]()
        proc.update(ctx)
        ctx.results[s] = proc.get()
    return ctx.results[symbol]
