"""Shared shape of the "current value" processors (hr, speed, cadence, temp): a median of the last few cleaned
seconds of one stream. Not registered itself; each stream's processor is a small subclass in its own file."""

from __future__ import annotations

from typing import Any, ClassVar

from processors._util import RECENT_S, fround, recent_median
from processors.clean import CleanTail
from processors.registry import Context, Processor


class RecentMedian(Processor):
    """Median of the last ``seconds`` cleaned values of ``stream``; None when fewer than ``min_count`` are known."""

    stream: ClassVar[str] = ""
    digits: ClassVar[int] = 3
    min_count: ClassVar[int] = 3
    source = "cleaned stream median (processors.clean)"
    depends: ClassVar[tuple[str, ...]] = ("clean",)
    #: whether the class overrides :meth:`known` (else the stream is always trusted and it is not called)
    _vetoes: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._vetoes = cls.known is not RecentMedian.known

    def __init__(self, seconds: int = RECENT_S) -> None:
        if seconds < 1:
            raise ValueError("seconds must be >= 1")
        self.seconds = seconds
        self._value: float | None = None
        # the class's settings, read per tick: instance attributes (compiled, C struct fields, not class lookups)
        self._stream: str = self.stream
        self._digits: int = self.digits
        self._min_count: int = self.min_count
        self._check: bool = self._vetoes

    def known(self, ctx: Context) -> bool:
        """Whether the stream can be trusted this tick (override to veto, e.g. HR in cadence lock)."""
        return True

    def update(self, ctx: Context) -> None:
        tail: CleanTail = ctx["clean"]
        if self._check and not self.known(ctx):
            v = None
        else:
            v = recent_median(getattr(tail, self._stream), self.seconds, self._min_count)
        self._value = None if v is None else fround(v, self._digits)

    def get(self) -> float | None:
        return self._value
