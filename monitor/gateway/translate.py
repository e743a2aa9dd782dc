"""One foreign MQTT message to contract frames, by a :class:`~monitor.gateway.layout.Layout` (pure; no I/O).

Forgiving per value, like the monitor's wire boundary: a payload that cannot be read (not JSON, not a number, no
usable time, a user name with no character usable in an id: :func:`~monitor.core.topics.to_id`) is rejected
whole; a bad or out-of-range value is rejected alone and the valid values beside it are kept. A JSON object that
fails the layout's ``match`` (an OwnTracks ``lwt``) is *ignored*, not rejected. Reasons are short fixed phrases;
the payload is never echoed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from monitor.core.topics import to_id
from monitor.gateway.layout import Layout, TimeSpec, TopicGroup
from monitor.gateway.units import Unusable, convert, event_time

#: Largest foreign payload read (bytes); the monitor's own limit for a contract message is larger, but a sample
#: from a phone or a sensor is a few hundred bytes.
MAX_PAYLOAD = 65_536
#: A time further ahead of the bridge's clock is rejected, as the monitor would ("future time", contract).
MAX_FUTURE_S = 300.0
_MISSING = object()


@dataclass(slots=True)
class Translation:
    """What one message gave: ``(squad, athlete, frame)`` triples, reasons of what was rejected, and whether the
    message was ignored (not the layout's: another OwnTracks ``_type``, a topic of no group)."""

    frames: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    ignored: bool = False


def translate(layout: Layout, topic: str, payload: bytes, *, now: float, squad: str | None) -> Translation:
    """The contract frames of one foreign message. ``now`` (Unix s) is its arrival time; ``squad`` the squad of
    topics without ``{squad}``.

    >>> from monitor.gateway.layouts import load_layout
    >>> owntracks = load_layout("owntracks")
    >>> translate(owntracks, "owntracks/jane.doe/phone", b'{"_type": "location", "tst": 1732400000, "vel": 12}',
    ...           now=1732400001.0, squad="club").frames
    [('club', 'jane_doe', {'t': 1732400000.0, 'pace': 300.0})]
    """
    out = Translation()
    matched = False
    for group in layout.groups:
        levels = group.pattern.match(topic)
        if levels is not None:
            matched = True
            _group(group, levels, payload, now, squad, out)
    out.ignored = out.ignored or not matched
    return out


def _group(
    group: TopicGroup, levels: dict[str, str], payload: bytes, now: float, squad: str | None, out: Translation
) -> None:
    athlete = to_id(levels["athlete"])
    squad = to_id(levels["squad"]) if "squad" in levels else squad
    if not athlete or not squad:
        out.rejected.append("bad squad or athlete id")
        return
    if len(payload) > MAX_PAYLOAD:
        out.rejected.append("payload too large")
        return
    try:
        data = _read(group, payload)
    except Unusable as exc:
        out.rejected.append(exc.reason)
        return
    if group.json and not all(_get(data, path) == want for path, want in group.match):
        out.ignored = True
        return
    by_time: dict[float, dict[str, Any]] = {}
    found = False
    for spec in group.streams:
        raw = _get(data, spec.field) if spec.field is not None else data
        if raw is _MISSING:
            if spec.default is None:
                continue
            raw = spec.default
        found = True
        try:
            t = _time(spec.time, data, now)
            value = convert(spec.stream, spec.unit, raw)
        except Unusable as exc:
            out.rejected.append(exc.reason)
            continue
        by_time.setdefault(t, {"t": t})[spec.stream] = value
    if not found:
        out.rejected.append("no field of the layout in the payload")
    out.frames.extend((squad, athlete, frame) for frame in by_time.values())


def _read(group: TopicGroup, payload: bytes) -> Any:
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise Unusable("payload is not UTF-8") from None
    if not group.json:
        return text
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise Unusable("payload is not JSON") from None
    if not isinstance(data, dict):
        raise Unusable("payload is not a JSON object")
    return data


def _get(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return _MISSING
        data = data[key]
    return data


def _time(spec: TimeSpec, data: Any, now: float) -> float:
    if spec.field is None:
        return round(now, 3)
    raw = _get(data, spec.field)
    if raw is _MISSING:
        raise Unusable("time field missing")
    t = event_time(spec.unit, raw)
    if t > now + MAX_FUTURE_S:
        raise Unusable("future time")
    return t
