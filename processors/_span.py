"""Shared shape of the processors over the last minutes of complete 10-s bins (recent gait, intensity, sustained
pace): recomputed only when a bin completes (or an input of the profile changes). Not registered itself; each
indicator is a small subclass in its own file."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, ClassVar, Generic, TypeVar

from processors._util import FloatArray
from processors.bins import BinStore
from processors.registry import Context, Processor

T = TypeVar("T")


def mean_over(sums: list[float], n_col: int, sum_col: int, min_s: float) -> float | None:
    """Σ ``sum_col`` / Σ ``n_col`` from the column sums of the bins; None with fewer than ``min_s`` seconds
    counted."""
    n = sums[n_col]
    if n < min_s:
        return None
    return sums[sum_col] / n


class RecentSpan(Processor, Generic[T]):
    """``compute(rows, ctx)`` over the complete bins of the last ``span_s`` seconds, cached on the number of
    complete bins and :meth:`extra_key`."""

    depends: ClassVar[tuple[str, ...]] = ("bins",)
    #: whether the class keeps the base's :meth:`extra_key` (``()``): then the key is built without calling it
    _no_extra_key: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._no_extra_key = cls.extra_key is RecentSpan.extra_key

    def __init__(self, span_s: float = 600.0, min_s: float = 120.0) -> None:
        if not 0 < min_s <= span_s:
            raise ValueError("need 0 < min_s <= span_s")
        self.span_s = span_s
        self.min_s = min_s
        self._value: T | None = None
        #: what the value was computed from: the number of complete bins (-1: nothing yet) and the extra key
        self._k = -1
        self._k_extra: tuple[Hashable, ...] = ()
        #: the plan and profile (both immutable) :meth:`extra_key` last read, and its answer then
        self._extra: tuple[object, object, tuple[Hashable, ...]] | None = None
        self._plain_key: bool = self._no_extra_key  # per instance (compiled, a C struct field)

    def extra_key(self, ctx: Context) -> tuple[Hashable, ...]:
        """What else the value depends on, from ``ctx.profile`` and ``ctx.plan`` only (e.g. profile fields):
        recomputed when it changes. Asked again only when the profile or the plan is another object."""
        return ()

    def kept_extra_key(self, ctx: Context) -> tuple[Hashable, ...]:
        """:meth:`extra_key`, kept while the plan and the profile are the very objects it was computed from."""
        plan, profile, kept = ctx.plan, ctx.profile, self._extra
        if kept is None or kept[0] is not plan or kept[1] is not profile:
            kept = self._extra = (plan, profile, self.extra_key(ctx))
        return kept[2]

    def compute(self, rows: FloatArray, ctx: Context) -> T | None:
        raise NotImplementedError

    def update(self, ctx: Context) -> None:
        store: BinStore = ctx["bins"]
        elapsed = ctx.window.elapsed
        k = store.n_complete(elapsed)
        extra = () if self._plain_key else self.kept_extra_key(ctx)  # (): the same for every tick, no call
        # complete bins only: recomputed every 10 s (a kept extra key is the very tuple of the last tick)
        if k == self._k and (extra is self._k_extra or extra == self._k_extra):
            return
        self._k, self._k_extra = k, extra
        self._value = self._compute(store, elapsed, ctx)

    def _compute(self, store: BinStore, elapsed: float, ctx: Context) -> T | None:
        return self.compute(store.last_complete(self.span_s, elapsed), ctx)

    def get(self) -> T | None:
        return self._value


class RecentSums(RecentSpan[T]):
    """A :class:`RecentSpan` that needs only the column sums of its bins: ``compute_sums(sums, ctx)``, the sums
    shared with the other indicators over the same span (:meth:`~processors.bins.BinStore.complete_sums`)."""

    def compute_sums(self, sums: list[float], ctx: Context) -> T | None:
        raise NotImplementedError

    def _compute(self, store: BinStore, elapsed: float, ctx: Context) -> T | None:
        return self.compute_sums(store.complete_sums(self.span_s, elapsed), ctx)
