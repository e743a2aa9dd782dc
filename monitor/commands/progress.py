"""Progress bars for long commands (``replay``, ``simulate``, ``evaluate``, ``report``): shown with rich on stderr
when it is a terminal, nothing at all when it is piped or redirected (logs and CI stay clean).

::

    with progress_bar("replaying", total=3600.0, unit="s") as advance:
        ...
        advance(to=1800.0)          # or advance(1) for one more item
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol, TextIO


class Advance(Protocol):
    def __call__(self, step: float = 1.0, *, to: float | None = None) -> None: ...


def _noop(step: float = 1.0, *, to: float | None = None) -> None:
    return None


def interactive(stream: TextIO | None = None) -> bool:
    """True when ``stream`` (stderr by default) is a terminal."""
    stream = sys.stderr if stream is None else stream
    isatty: Callable[[], bool] | None = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@contextmanager
def progress_bar(
    description: str, total: float | None, *, unit: str = "", stream: TextIO | None = None
) -> Iterator[Advance]:
    """A progress bar on ``stream`` (stderr) if it is a terminal; otherwise a no-op ``advance``."""
    stream = sys.stderr if stream is None else stream
    if not interactive(stream):
        yield _noop
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    counter = MofNCompleteColumn() if unit == "" else TextColumn(f"{{task.completed:.0f}}/{{task.total:.0f}} {unit}")
    columns = (TextColumn("{task.description}"), BarColumn(), counter, TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(file=stream), transient=False) as bar:
        task = bar.add_task(description, total=total)

        def advance(step: float = 1.0, *, to: float | None = None) -> None:
            if to is None:
                bar.advance(task, step)
            else:
                bar.update(task, completed=to)

        yield advance


def duration_note(span_s: float, speed: float, running_s: float | None = None, *, paced: bool = False) -> str:
    """How long the replay takes. ``running_s``: the runs' own time in all, when it is less than the event time
    they span (runs replayed at their recorded times, days apart). ``paced``: speed 0 follows the monitor.

    >>> duration_note(3600, 60)
    '1:00:00 of running, takes about 1:00 at x60'
    >>> duration_note(5400, 1)
    '1:30:00 of running, takes about 1:30:00 in real time'
    >>> duration_note(100, 0)
    '0:01:40 of running, as fast as the broker takes it'
    >>> duration_note(100, 0, paced=True)
    '0:01:40 of running, as fast as the monitor takes it'
    >>> duration_note(3 * 86400, 0, running_s=5400)
    '1:30:00 of running over 72:00:00 of event time, as fast as the broker takes it'
    """
    run = _clock(span_s)
    if running_s is not None and span_s > running_s + 60:
        run = f"{_clock(running_s)} of running over {run} of event time"
    else:
        run += " of running"
    if speed == 0:
        return f"{run}, as fast as the {'monitor' if paced else 'broker'} takes it"
    wall = span_s / speed
    took = _clock(wall) if wall >= 3600 else f"{int(wall // 60)}:{int(wall % 60):02d}"
    return f"{run}, takes about {took} " + ("in real time" if speed == 1 else f"at x{speed:g}")


def _clock(seconds: float) -> str:
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
