"""What the pipeline is configured with and what one call of it produces (shared by its parts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alerts.alert import Alert

STREAMS = ("hr", "pace", "cadence", "temp")
#: Streams whose silence makes the signal stale/lost (temperature is slow by nature and never does).
SIGNAL_STREAMS = ("hr", "pace", "cadence")
#: Streams whose late samples are held from the next grid second instead of dropped.
SLOW_STREAMS = ("temp",)


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """Event-time behaviour. All durations in seconds of event time."""

    lateness_s: float = 10.0  # samples older than (newest − lateness) at the time their second was filled: dropped
    max_lag_s: float = 60.0  # a stream lagging the newest sample by more (or silent) no longer holds the grid back;
    # raised automatically to 1.5 x the span of the largest batch a stream sends, so per-stream batches line up
    tick_s: int = 5  # status/indicator cadence
    history_s: int = 600  # the raw 1 Hz window the processors see (see window()); the 10-s bins keep the hour
    session_timeout_s: float = 600.0  # silence that ends a session
    stale_s: float = 10.0  # minimum silence before a stream is stale (or 3 sampling intervals if longer)
    lost_s: float = 60.0  # minimum silence before a stream is lost (or 10 sampling intervals if longer)
    max_jump_s: float = 30.0  # a message jumping further ahead of the athlete's newest time waits for a second one

    def __post_init__(self) -> None:
        if self.lateness_s < 0 or self.tick_s < 1 or self.history_s < 60 or self.session_timeout_s <= 0:
            raise ValueError("bad pipeline config")


@dataclass(slots=True)
class Output:
    """What one call produced, in event-time order."""

    statuses: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    late: int = 0
    sessions_ended: int = 0
    tick_seconds: list[float] = field(default_factory=list)  # wall time of each tick (metrics)
    merged: int = 0  # samples of a backlog merged into the gaps of the open session
    future: list[str] = field(default_factory=list)  # streams of samples rejected as "future time"

    def extend(self, other: Output) -> None:
        self.statuses.extend(other.statuses)
        self.alerts.extend(other.alerts)
        self.tick_seconds.extend(other.tick_seconds)
        self.late += other.late
        self.sessions_ended += other.sessions_ended
        self.merged += other.merged
        self.future.extend(other.future)
