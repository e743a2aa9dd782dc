"""Shared shape of the processors over the last minutes of complete 10-s bins (recent gait, intensity, sustained
pace): recomputed only when a bin completes (or an input of the profile changes). Not registered itself; each
indicator is a small subclass in its own file."""

from __future__ import annotations

from collections.abc import Hashable
from typing import ClassVar, Generic, TypeVar

from processors._util import FloatArray
from processors.bins import BinStore
from processors.registry import Context, Processor

T = TypeVar("T")


def mean_over(rows: FloatArray, n_col: int, sum_col: int, min_s: float) -> float | None:
    """Σ ``sum_col`` / Σ ``n_col`` over the bins; None with fewer than ``min_s`` seconds counted."""
    n = float(rows[:, n_col].sum()) if rows.shape[0] else 0.0
    if n < min_s:
        return None
    return float(rows[:, sum_col].sum()) / n


class RecentSpan(Processor, Generic[T]):
    """``compute(rows, ctx)`` over the complete bins of the last ``span_s`` seconds, cached on the number of
    complete bins and :meth:`extra_key`."""

    depends: ClassVar[tuple[str, ...]] = ("bins",)

    def __init__(self, span_s: float = 600.0, min_s: float = 120.0) -> None:
        if not 0 < min_s <= span_s:
            raise ValueError("need 0 < min_s <= span_s")
        self.span_s = span_s
        self.min_s = min_s
        self._value: T | None = None
        self._key: tuple[Hashable, ...] | None = None

    def extra_key(self, ctx: Context) -> tuple[Hashable, ...]:
        """What else the value depends on (e.g. profile fields); recomputed when it changes."""
        return ()

    def compute(self, rows: FloatArray, ctx: Context) -> T | None:
        raise NotImplementedError

    def update(self, ctx: Context) -> None:
        store: BinStore = ctx["bins"]
        elapsed = ctx.window.elapsed
        key = (store.n_complete(elapsed), *self.extra_key(ctx))
        if key == self._key:  # complete bins only: recomputed every 10 s
            return
        self._key = key
        self._value = self.compute(store.last_complete(self.span_s, elapsed), ctx)

    def get(self) -> T | None:
        return self._value
