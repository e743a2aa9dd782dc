"""Print each alert as one readable line (the demo's terminal view)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TextIO

from alerts.alert import Alert
from alerts.sinks.base import Sink


def format_alert(alert: Alert, *, detail: bool = False) -> str:
    """One line: event time (UTC), level, who, kind, risk, message (and the coach's detail if asked).

    >>> from alerts.alert import Alert
    >>> a = Alert(id="x", t=1732400625.0, squad="club", athlete="ana", level="warning", kind="hydrate",
    ...           risk=0.62, message="Drink now", detail="risk 0.62 (high): 31 °C")
    >>> format_alert(a)
    '22:23:45Z WARNING  club/ana hydrate (risk 0.62): Drink now'
    >>> format_alert(a, detail=True)
    '22:23:45Z WARNING  club/ana hydrate (risk 0.62): Drink now | risk 0.62 (high): 31 °C'
    """
    try:
        when = datetime.fromtimestamp(alert.t, UTC).strftime("%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        when = f"t={alert.t:.0f}"
    line = (
        f"{when} {alert.level.upper():<8} {alert.squad}/{alert.athlete} {alert.kind} "
        f"(risk {alert.risk:.2f}): {alert.message}"
    )
    if detail:
        line += f" | {alert.detail}"
    return line.replace("\n", " ")


class ConsoleSink(Sink):
    """Writes :func:`format_alert` lines to ``stream`` (``sys.stdout`` at the time of writing by default).

    Console output is for people watching a demo; a write error (closed pipe) is counted, never raised.
    """

    name = "console"

    def __init__(self, stream: TextIO | None = None, *, detail: bool = False) -> None:
        self._stream = stream
        self.detail = detail
        self.written = 0
        self.failed = 0

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stdout

    async def on_alert(self, alert: Alert) -> None:
        try:
            print(format_alert(alert, detail=self.detail), file=self.stream, flush=True)
        except (OSError, ValueError):
            self.failed += 1
        else:
            self.written += 1
