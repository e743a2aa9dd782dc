"""The wire boundary: topics and payloads of the contract, parsed and validated with pydantic.

Parsing is forgiving per value and strict per envelope: a message whose envelope is broken (not JSON, unequal
batch lengths, decreasing times) is rejected whole; a bad value inside a good envelope is rejected alone and the
valid values beside it are kept. Publishers (simulators, replay) encode through the same models, so they can
never speak a dialect the monitor does not accept.

The hot path (samples and frames) parses with orjson and checks types and ranges inline — the same rules as the
pydantic models, which stay for profiles, sessions and acks. JSON nested deeper than :data:`MAX_DEPTH` is rejected
("payload nested too deeply") before any model sees it.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from monitor.core.topics import DEFAULT_PREFIX as DEFAULT_PREFIX  # the topics were here: their names stay importable
from monitor.core.topics import ID_RE as ID_RE
from monitor.core.topics import IN_LEAVES as IN_LEAVES
from monitor.core.topics import STREAMS as STREAMS
from monitor.core.topics import Topic as Topic
from monitor.core.topics import Topics as Topics
from monitor.core.topics import check_id as check_id
from monitor.errors import RejectedMessage
from processors.profile import Profile, SessionPlan
from simulators.frame import Frame

#: Plausible ranges (contract); outside them a value is rejected and counted.
RANGES: dict[str, tuple[float, float]] = {
    "hr": (25.0, 250.0),
    "pace": (100.0, 3600.0),
    "cadence": (0.0, 260.0),
    "temp": (-30.0, 60.0),
}
MAX_BATCH = 600
#: Deepest JSON nesting accepted for profiles, sessions and acks (samples and frames need 3).
MAX_DEPTH = 16

Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]
EventTime = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0.0)]


class SessionMsg(BaseModel):
    """``{"t", "event": "start"|"stop"}``; a start may carry today's plan (``plan``, ``target_pace`` s/km)."""

    model_config = ConfigDict(extra="forbid")
    t: EventTime
    event: Literal["start", "stop"]
    plan: Literal["easy", "long", "tempo", "intervals", "race"] | None = None
    target_pace: Annotated[Finite, Field(ge=120, le=1200)] | None = None

    def session_plan(self) -> SessionPlan:
        """Today's plan as the processors see it (empty for a stop or a start without one)."""
        return SessionPlan(plan=self.plan, target_pace=self.target_pace)


class AckMsg(BaseModel):
    model_config = ConfigDict(extra="forbid")
    alert_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class ProfileMsg(BaseModel):
    """Athlete profile; every field optional (defaults documented in docs/profiles.md)."""

    model_config = ConfigDict(extra="ignore")
    #: no control characters (C0, DEL, C1): escape codes in a name cleared the coach's terminal (audit6)
    name: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f-\x9f]+$")] | None = None
    sex: Literal["female", "male"] | None = None
    age: Annotated[Finite, Field(ge=5, le=100)] | None = None
    mass_kg: Annotated[Finite, Field(ge=20, le=250)] | None = None
    height_cm: Annotated[Finite, Field(ge=100, le=250)] | None = None
    hr_rest: Annotated[Finite, Field(ge=25, le=120)] | None = None
    hr_max: Annotated[Finite, Field(ge=100, le=250)] | None = None
    training_pace: Annotated[Finite, Field(ge=120, le=1200)] | None = None
    race_pace: Annotated[Finite, Field(ge=120, le=1200)] | None = None
    longest_run_min: Annotated[Finite, Field(ge=1, le=2000)] | None = None
    cramp_history: StrictBool | None = None
    recent_injury: StrictBool | None = None

    def to_profile(self) -> Profile:
        return Profile(**self.model_dump())

    @classmethod
    def from_profile(cls, profile: Profile) -> ProfileMsg:
        return cls(**profile.to_dict())


class SampleMsg(BaseModel):
    model_config = ConfigDict(extra="forbid")
    t: EventTime
    v: Finite


class FrameMsg(BaseModel):
    model_config = ConfigDict(extra="forbid")
    t: EventTime
    hr: Finite | None = None
    pace: Finite | None = None
    cadence: Finite | None = None
    temp: Finite | None = None


@dataclass(slots=True)
class Parsed:
    """What one message yielded: accepted ``(stream, t, value)`` samples and the reasons of what was rejected."""

    samples: list[tuple[str, float, float]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def _load(payload: bytes | bytearray | str) -> Any:
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc):
            raise RejectedMessage("payload nested too deeply") from None
    try:  # NaN and Infinity are not JSON but common; the stdlib reads them, so they are rejected value by value
        return json.loads(payload)
    except RecursionError:
        raise RejectedMessage("payload nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise RejectedMessage("payload is not UTF-8 JSON") from None


def _load_shallow(payload: bytes | bytearray | str) -> Any:
    """JSON for the pydantic models, no deeper than :data:`MAX_DEPTH`.

    >>> _load_shallow(b'{"a": [1, {"b": 2}]}')
    {'a': [1, {'b': 2}]}
    >>> _load_shallow(b"[" * 20 + b"]" * 20)
    Traceback (most recent call last):
    monitor.errors.RejectedMessage: payload nested too deeply
    """
    data = _load(payload)
    level: list[Any] = [data]
    for _ in range(MAX_DEPTH):
        level = [v for x in level if isinstance(x, dict | list) for v in (x.values() if isinstance(x, dict) else x)]
        if not level:
            return data
    raise RejectedMessage("payload nested too deeply")


def _time(raw: Any) -> float:
    """An event time: a finite, non-negative JSON number (booleans and strings are not numbers)."""
    if type(raw) is float or (type(raw) is int and -(2**53) <= raw <= 2**53):
        t = float(raw)
        if t >= 0.0 and t != math.inf:
            return t
    raise RejectedMessage("bad event time t")


def _value(stream: str, raw: Any, parsed: Parsed, t: float) -> None:
    if type(raw) is float or type(raw) is int:
        value = float(raw)
        lo, hi = RANGES[stream]
        if lo <= value <= hi:
            parsed.samples.append((stream, t, value))
            return
        kind = "out of range" if math.isfinite(value) else "not a finite number"
    else:
        kind = "not a finite number"
    parsed.rejected.append(f"{stream} value {kind}")


def parse_stream(stream: str, payload: bytes | bytearray | str) -> Parsed:
    """Parse a sample ``{"t", "v"}`` or batch ``{"t": [..], "v": [..]}`` on a single-stream topic. An unknown
    field is reported and its values kept, as in a frame (a gateway that adds ``"acc"`` loses no heart rate).

    >>> p = parse_stream("hr", b'{"t": [1, 2, 3], "v": [150, 999, 151]}')
    >>> p.samples, p.rejected
    ([('hr', 1.0, 150.0), ('hr', 3.0, 151.0)], ['hr value out of range'])
    >>> p = parse_stream("hr", b'{"t": 1, "v": 150, "acc": 3}')
    >>> p.samples, p.rejected
    ([('hr', 1.0, 150.0)], ['sample has an unknown field'])
    """
    data = _load(payload)
    if not isinstance(data, dict) or "t" not in data or "v" not in data:
        raise RejectedMessage("sample must be an object with t and v")
    parsed = Parsed()
    parsed.rejected += ["sample has an unknown field"] * (len(data) - 2)  # one per field, as in a frame
    ts, vs = data["t"], data["v"]
    if isinstance(ts, list):
        if not isinstance(vs, list) or len(vs) != len(ts):
            raise RejectedMessage("batch t and v must be lists of equal length")
        if not 1 <= len(ts) <= MAX_BATCH:
            raise RejectedMessage(f"batch must have 1-{MAX_BATCH} entries")
        times = [_time(t) for t in ts]
        if any(b < a for a, b in itertools.pairwise(times)):
            raise RejectedMessage("batch t must be non-decreasing")
        for t, v in zip(times, vs, strict=True):
            _value(stream, v, parsed, t)
    else:
        _value(stream, vs, parsed, _time(ts))
    return parsed


def parse_frames(payload: bytes | bytearray | str) -> Parsed:
    """Parse a frame or a list of up to 600 frames; bad frames or fields are rejected alone.

    >>> p = parse_frames(b'[{"t": 5, "hr": 150, "pace": "fast"}, {"t": "x", "hr": 1}]')
    >>> p.samples, p.rejected
    ([('hr', 5.0, 150.0)], ['pace value not a finite number', 'frame: bad event time t'])
    """
    data = _load(payload)
    frames = data if isinstance(data, list) else [data]
    if not 1 <= len(frames) <= MAX_BATCH:
        raise RejectedMessage(f"frame list must have 1-{MAX_BATCH} entries")
    parsed = Parsed()
    for frame in frames:
        if not isinstance(frame, dict) or "t" not in frame:
            parsed.rejected.append("frame must be an object with t")
            continue
        try:
            t = _time(frame["t"])
        except RejectedMessage as exc:
            parsed.rejected.append(f"frame: {exc.reason}")
            continue
        streams = [k for k in frame if k != "t"]
        if not streams:
            parsed.rejected.append("frame has no stream")
        for key in streams:
            if key in RANGES:
                _value(key, frame[key], parsed, t)
            else:
                parsed.rejected.append("frame has an unknown field")
    return parsed


def parse_profile(payload: bytes | bytearray | str) -> tuple[Profile, list[str]]:
    """Parse a profile; invalid fields are dropped (and reported), the valid ones kept.

    >>> profile, bad = parse_profile(b'{"name": "Ann", "age": 300, "training_pace": 330}')
    >>> profile.name, profile.age, profile.training_pace, bad
    ('Ann', None, 330.0, ['profile field age invalid'])
    """
    data = _load_shallow(payload)
    if not isinstance(data, dict):
        raise RejectedMessage("profile must be an object")
    return profile_from_mapping(data)


def unknown_profile_field(fields: dict[str, Any]) -> str | None:
    """What a profile *file* says about a field the contract does not know (a typo such as ``hr_mx`` would leave
    the field at its default without a word), or None. MQTT profiles ignore such fields instead (``extra``).

    >>> unknown_profile_field({"hr_max": 180}), unknown_profile_field({"hr_mx": 180})[:31]
    (None, "unknown profile field 'hr_mx' (")
    """
    unknown = sorted(set(fields) - set(ProfileMsg.model_fields))
    if not unknown:
        return None
    return f"unknown profile field {unknown[0][:40]!r} (known: {', '.join(ProfileMsg.model_fields)})"


def profile_from_mapping(data: dict[str, Any]) -> tuple[Profile, list[str]]:
    bad: list[str] = []
    fields = dict(data)
    for _ in range(len(ProfileMsg.model_fields) + 1):
        try:
            profile = ProfileMsg.model_validate(fields).to_profile()
        except ValidationError as exc:
            names = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
            if not names:
                raise RejectedMessage("profile invalid") from exc
            for name in sorted(names):
                bad.append(f"profile field {name[:30]} invalid")
                fields.pop(name, None)
            continue
        if profile.hr_rest is not None and profile.hr_max is not None and profile.hr_rest >= profile.hr_max:
            # each in its range, together impossible (a typo): which one is wrong is unknown, both take defaults
            bad.append("profile fields hr_rest, hr_max invalid (resting HR not below HRmax)")
            profile = replace(profile, hr_rest=None, hr_max=None)
        return profile, bad
    raise RejectedMessage("profile invalid")  # pragma: no cover - loop always returns


#: The optional fields of a session message that are dropped alone when invalid (as a profile's fields are).
_SESSION_OPTIONAL = {
    "plan": "session field plan invalid (not easy|long|tempo|intervals|race), dropped",
    "target_pace": "session field target_pace invalid (not 120-1200 s/km), dropped",
}


def parse_session(payload: bytes | bytearray | str) -> tuple[SessionMsg, list[str]]:
    """Parse a session message. A broken ``t``/``event`` or an unknown field rejects it whole; an invalid
    optional ``plan`` or ``target_pace`` is dropped alone (and reported), the rest of the start is taken.

    >>> msg, bad = parse_session(b'{"t": 5, "event": "start", "plan": "recovery", "target_pace": 290}')
    >>> msg.event, msg.plan, msg.target_pace, bad
    ('start', None, 290.0, ['session field plan invalid (not easy|long|tempo|intervals|race), dropped'])
    """
    data = _load_shallow(payload)
    bad: list[str] = []
    for _ in range(len(_SESSION_OPTIONAL) + 1):
        try:
            return SessionMsg.model_validate(data), bad
        except ValidationError as exc:
            names = {str(err["loc"][0]) if err["loc"] else "" for err in exc.errors()}
            if not isinstance(data, dict) or not names or not names <= _SESSION_OPTIONAL.keys():
                raise RejectedMessage(
                    "session must be {t, event: start|stop[, plan: easy|long|tempo|intervals|race, "
                    "target_pace: 120-1200]}"
                ) from exc
            data = {k: v for k, v in data.items() if k not in names}
            bad.extend(_SESSION_OPTIONAL[name] for name in sorted(names))
    raise RejectedMessage("session invalid")  # pragma: no cover - each round drops a field or returns


def parse_ack(payload: bytes | bytearray | str) -> AckMsg:
    try:
        return AckMsg.model_validate(_load_shallow(payload))
    except ValidationError as exc:
        raise RejectedMessage("ack must be {alert_id}") from exc


# ---- encoding (publishers) -------------------------------------------------------------------------------


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode()


def encode_frame(frame: Frame) -> bytes:
    """Encode one frame.

    >>> encode_frame(Frame(t=1.0, hr=150.0))
    b'{"t":1.0,"hr":150.0}'
    """
    return _dumps(_frame_dict(frame))


def _frame_dict(frame: Frame) -> dict[str, float]:
    msg = FrameMsg(t=frame.t, hr=frame.hr, pace=frame.pace, cadence=frame.cadence, temp=frame.temp)
    return msg.model_dump(exclude_none=True)


def encode_frames(frames: Sequence[Frame]) -> bytes:
    if not 1 <= len(frames) <= MAX_BATCH:
        raise ValueError(f"a frame list has 1-{MAX_BATCH} frames")
    return _dumps([_frame_dict(f) for f in frames])


def encode_samples(times: Sequence[float], values: Sequence[float]) -> bytes:
    """One sample (length 1 → ``{"t": T, "v": V}``) or a batch."""
    if len(times) != len(values) or not 1 <= len(times) <= MAX_BATCH:
        raise ValueError("a batch has equal lengths of 1-600 entries")
    samples = [SampleMsg(t=t, v=v) for t, v in zip(times, values, strict=True)]
    if len(samples) == 1:
        return _dumps(samples[0].model_dump())
    return _dumps({"t": [s.t for s in samples], "v": [s.v for s in samples]})


def encode_profile(profile: Profile) -> bytes:
    return _dumps(ProfileMsg.from_profile(profile).model_dump(exclude_none=True))


def encode_session(t: float, event: Literal["start", "stop"], plan: SessionPlan | None = None) -> bytes:
    """A session message; a start may carry today's plan (absent fields are left out).

    >>> encode_session(5.0, "start", SessionPlan("tempo", 290.0))
    b'{"t":5.0,"event":"start","plan":"tempo","target_pace":290.0}'
    >>> encode_session(9.0, "stop")
    b'{"t":9.0,"event":"stop"}'
    """
    extra = plan.to_dict() if plan is not None and event == "start" else {}
    return _dumps(SessionMsg(t=t, event=event, **extra).model_dump(exclude_none=True))


def encode_ack(alert_id: str) -> bytes:
    return _dumps(AckMsg(alert_id=alert_id).model_dump())
