"""Supervised tasks: a task that dies is logged, counted and started again (after a short, growing pause)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable

log = logging.getLogger("crampwatch.monitor")


async def supervised(
    name: str,
    run: Callable[[], Awaitable[None]],
    counters: Counter[str],
    stopping: asyncio.Event,
    *,
    pause_s: float = 0.1,
    max_pause_s: float = 5.0,
) -> None:
    """Run ``run()`` until ``stopping`` is set; whenever it raises (or returns early), log it, count it in
    ``counters["task_restarts"]`` (and ``task_restarts:<name>``) and run it again.

    >>> async def demo() -> int:
    ...     calls, stop = [], asyncio.Event()
    ...     async def flaky() -> None:
    ...         calls.append(1)
    ...         if len(calls) < 3:
    ...             raise RuntimeError("boom")
    ...         stop.set()
    ...     counters: Counter[str] = Counter()
    ...     await supervised("demo", flaky, counters, stop, pause_s=0.001)
    ...     return counters["task_restarts"]
    >>> logging.getLogger("crampwatch.monitor").disabled = True
    >>> asyncio.run(demo())
    2
    >>> logging.getLogger("crampwatch.monitor").disabled = False
    """
    pause = pause_s
    while not stopping.is_set():
        try:
            await run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("task %s died; restarting it", name)
        else:
            if stopping.is_set():
                return
            log.error("task %s ended unexpectedly; restarting it", name)
        counters["task_restarts"] += 1
        counters[f"task_restarts:{name}"] += 1
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stopping.wait(), pause)
        pause = min(max_pause_s, pause * 2)
