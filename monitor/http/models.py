"""Pydantic models of the dashboard API's JSON bodies: the OpenAPI document's schemas are generated from them.

The server builds its answers from plain dicts (``monitor.coach.live``); these models describe them, and the
tests check live answers against them. Imported only when ``/openapi.json`` is asked for.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Level = Literal["low", "elevated", "high", "critical"]
Word = Literal["low", "elevated", "high", "critical", "cramp"]
AlertLevel = Literal["advice", "warning", "critical"]
Signal = Literal["ok", "stale", "lost"]
SessionState = Literal["live", "quiet", "finished"]
Num = float | None
Series = list[float | None]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Error(BaseModel):
    error: str
    status: int


class Status(_Open):
    """The contract's status snapshot (monitor → all), with any extras the monitor adds."""

    t: float = Field(description="event time, Unix seconds")
    squad: Id
    athlete: Id
    elapsed_s: Num
    distance_m: Num
    hr: Num
    pace: Num
    cadence: Num
    temp: Num
    stride_m: Num
    fatigue: Num
    pace_over_training: Num
    decoupling_pct: Num
    trimp: Num
    sweat_loss_pct: Num
    monotony: Num
    risk: Num
    level: Level
    factors: dict[str, float]
    signal: Signal
    session_state: SessionState = Field(description="live, quiet (no data for a few seconds) or finished")
    hr_pct_max: Num = None
    hr_zone: int | None = Field(None, description="1-5, % of HRmax bands <60, 60-70, 70-80, 80-90, >=90")
    name: str | None = None
    session_start: Num = None


class LastAlert(BaseModel):
    id: Id
    t: float
    level: AlertLevel
    kind: str
    message: str
    acked: bool


class Tile(BaseModel):
    """What a dashboard tile shows."""

    t: Num
    squad: Id
    athlete: Id
    name: str | None
    session_start: Num
    session_state: SessionState
    level: Level | None = Field(description="the monitor's level")
    display_level: Word = Field(description="the word on the tile: the level, or cramp until acknowledged")
    display_risk: Num = Field(description="the risk kept inside the word's band (0-1)")
    risk: Num = Field(description="the monitor's risk (0-1)")
    cramp: bool
    elapsed_s: Num
    distance_m: Num
    hr: Num
    hr_pct_max: Num
    hr_zone: int | None
    hr_max: Num
    hr_zone_s: list[float] | None = Field(description="seconds in the five %HRmax zones of hr_zone")
    trimp: Num
    pace: Num
    target_pace: Num = Field(description="today's target pace, else the training pace (s/km)")
    cadence: Num
    temp: Num
    stride_m: Num
    fatigue: Num
    pace_over_training: Num
    factors: dict[str, float] | None
    top_reason: str | None = Field(description="largest factor that is not a profile trait")
    top_reason_text: str = Field(description="the top reason in plain words")
    signal: Signal | None
    wall_idle_s: Num
    acute_cramp: bool | None
    plan: str | None
    gait_state: str | None = Field(None, description="running, walking, stopped or unknown (stopped: no pace)")
    last_alert: LastAlert | None
    open_alerts: int
    age_s: Num = Field(description="seconds (wall clock) since the last status")


class AlertResponse(BaseModel):
    """What the runner did after an alert (a stored session's alerts): over the 5 min after it against the 5 min
    before, the mean pace while running (s/km) and the mean cadence (steps/min); null where there was none."""

    pace_before: Num
    pace_after: Num
    cadence_before: Num
    cadence_after: Num
    stopped_s: float = Field(description="seconds stopped or walking in the 5 min after the alert")
    after_s: float = Field(description="seconds of statuses after the alert (below 300: the session ended or is live)")


class Alert(BaseModel):
    id: Id
    t: float
    squad: Id
    athlete: Id
    level: AlertLevel
    kind: str
    risk: float
    message: Annotated[str, Field(max_length=80)]
    detail: str
    factors: dict[str, float]
    acked: bool = Field(description="acknowledged (from a dashboard, or an earlier one of its kind closed)")
    seq: int | None = Field(None, description="arrival order at this monitor (live alerts)")
    name: str | None = None
    response: AlertResponse | None = Field(None, description="what the runner did after it (stored sessions)")


class Squad(BaseModel):
    squad: Id
    athletes: int
    worst_level: Word | None = Field(description="worst word among runners not finished")
    counts: dict[str, int] = Field(description="runners per word, finished runners left out")
    finished: int
    open_alerts: int


class Health(BaseModel):
    """The monitor as the page's badge shows it."""

    state: Literal["ok", "stale", "down", "unknown"]
    broker_connected: bool | None = Field(description="null when no monitor is attached")
    data_age_s: Num = Field(description="seconds (wall clock) since the last status of anyone")
    live_sessions: int


class History(BaseModel):
    """One session, one point per status, as column arrays."""

    squad: Id
    athlete: Id
    name: str | None
    session_start: Num
    session_state: SessionState
    points: int
    t: list[float]
    hr: Series
    pace: Series
    cadence: Series
    stride_m: Series
    temp: Series
    risk: Series
    fatigue: Series
    distance_m: Series
    level: list[Level | None]
    hr_max: Num
    target_pace: Num
    alerts: list[Alert]


class SessionRow(BaseModel):
    """One stored session (``crampwatch sessions``)."""

    id: str = Field(description="SQUAD.ATHLETE.START_MS")
    squad: Id
    athlete: Id
    name: str | None
    start: float
    last_t: Num
    duration_s: Num
    distance_m: Num
    peak_risk: Num
    peak_level: Level | None
    alerts: int
    open: bool = Field(description="the session had not ended when last written")
    report: str = Field(description="path of the session's report page")


class Peak(BaseModel):
    """The status at a stored session's peak: when, how high, and why."""

    t: float = Field(description="event time, Unix seconds")
    elapsed_s: Num
    risk: float = Field(description="the session's highest risk (0-1)")
    level: Level | None = Field(description="the monitor's level at the peak")
    factors: dict[str, float] | None = Field(description="the risk factors at the peak (log-odds contributions)")
    pace_over_training: Num
    temp: Num


class StoredSession(History):
    """A stored session as the live history's column arrays, with its alerts."""

    id: str
    report: str
    last: dict[str, Any] = Field(
        description="the last status's trimp, hr_zone_s, factors, hr_pct_max, hr_zone, elapsed_s, gait_state"
    )
    peak: Peak | None = Field(
        description="the first status with the session's highest risk (its time, risk, level, factors and the "
        "pace ratio and temperature its reasons quote); null when no status has a risk"
    )


class AckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    squad: Id
    athlete: Id
    alert_id: Id


class AckAllRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    squad: Id
    athlete: Id


class AckResult(BaseModel):
    ok: bool
    squad: Id
    athlete: Id
    alert_id: Id | None = None
    closed: list[Id] = Field(description="ids of the alerts closed (the runner's earlier open ones of the kind)")


MODELS: tuple[type[BaseModel], ...] = (
    Error, Status, LastAlert, Tile, Alert, Squad, Health, History, SessionRow, Peak, StoredSession, AckRequest,
    AckAllRequest, AckResult,
)  # fmt: skip


def schemas(extra: tuple[type[BaseModel], ...] = ()) -> dict[str, Any]:
    """JSON schemas of the models, referenced as ``#/components/schemas/{Name}``."""
    _, doc = models_json_schema(
        [(m, "serialization") for m in (*MODELS, *extra)], ref_template="#/components/schemas/{model}"
    )
    defs: dict[str, Any] = doc.get("$defs", {})
    return defs
