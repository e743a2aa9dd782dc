"""A foreign topic layout: where a bridge finds each contract stream and in what unit (pure; no I/O).

A layout is a small TOML document (the built-in ones are in :mod:`monitor.gateway.layouts`)::

    description = "a club's watch app"
    topic = "runclub/{athlete}/+/telemetry"      # every stream's topic unless it names its own
    match = { kind = "sample" }                  # only JSON objects with these fields (others are ignored;
                                                 # plain-number topics are not checked)
    time = { field = "ts", unit = "unix_ms" }    # or time = "arrival"; units unix_s, unix_ms, iso8601

    [hr]
    field = "heart.bpm"                          # a dotted path into the JSON payload
    unit = "bpm"

    [cadence]
    topic = "runclub/{athlete}/cadence"          # a stream on a topic of its own
    payload = "number"                           # the whole payload is the number ("86")
    unit = "strides/min"
    time = "arrival"

Topic patterns are MQTT topics whose levels are literals, ``+`` (any, ignored), ``{athlete}`` (exactly once) and
``{squad}`` (at most once; otherwise the squad comes from ``--squad``). A stream's ``default`` is its value when
its field is absent (OwnTracks leaves ``vel`` out when it is 0). :func:`parse_layout` checks every key and raises
:class:`LayoutError` with one line naming the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

from monitor.core.topics import STREAMS
from monitor.gateway.units import TIME_UNITS, UNITS

ARRIVAL = "arrival"
_TOP_KEYS = {"description", "topic", "match", "time", *STREAMS}
_STREAM_KEYS = {"topic", "field", "payload", "unit", "default", "time"}


class LayoutError(ValueError):
    """A layout that cannot be used; the message is one line naming the key."""


@dataclass(frozen=True, slots=True)
class TimeSpec:
    """Where a message's event time is: a JSON field (``unit`` one of :data:`TIME_UNITS`) or the arrival time."""

    field: tuple[str, ...] | None = None
    unit: str = ARRIVAL


@dataclass(frozen=True, slots=True)
class StreamSpec:
    stream: str  # contract stream: hr, pace, cadence, temp
    unit: str
    field: tuple[str, ...] | None  # dotted path in a JSON object; None: the whole payload is the number
    default: float | None
    time: TimeSpec


@dataclass(frozen=True, slots=True)
class TopicPattern:
    """An MQTT topic with ``{athlete}``, ``{squad}`` and ``+`` levels."""

    text: str
    levels: tuple[str, ...]

    @property
    def subscription(self) -> str:
        """The MQTT subscription that receives it.

        >>> pattern("owntracks/{athlete}/+").subscription
        'owntracks/+/+'
        """
        return "/".join("+" if level.startswith("{") else level for level in self.levels)

    @property
    def has_squad(self) -> bool:
        return "{squad}" in self.levels

    def match(self, topic: str) -> dict[str, str] | None:
        """The ``athlete`` (and ``squad``) levels of ``topic``, or None when it is not this pattern's.

        >>> pattern("owntracks/{athlete}/+").match("owntracks/jane/phone")
        {'athlete': 'jane'}
        >>> pattern("owntracks/{athlete}/+").match("owntracks/jane/phone/event") is None
        True
        """
        parts = topic.split("/")
        if len(parts) != len(self.levels):
            return None
        found: dict[str, str] = {}
        for level, part in zip(self.levels, parts, strict=True):
            if level.startswith("{"):
                found[level[1:-1]] = part
            elif level != "+" and level != part:
                return None
        return found


@dataclass(frozen=True, slots=True)
class TopicGroup:
    """The streams read from one topic pattern (one JSON object, or one plain number)."""

    pattern: TopicPattern
    streams: tuple[StreamSpec, ...]
    json: bool
    match: tuple[tuple[tuple[str, ...], Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Layout:
    name: str
    description: str
    groups: tuple[TopicGroup, ...]

    @property
    def subscriptions(self) -> list[str]:
        return sorted({g.pattern.subscription for g in self.groups})

    @property
    def needs_squad(self) -> bool:
        """True when some topic does not carry the squad (``--squad`` is then required)."""
        return any(not g.pattern.has_squad for g in self.groups)


def pattern(text: object, where: str = "topic") -> TopicPattern:
    """Check and split a topic pattern; :class:`LayoutError` names what is wrong."""
    if not isinstance(text, str) or not text:
        raise LayoutError(f'{where}: expected a topic such as "owntracks/{{athlete}}/+"')
    levels = tuple(text.split("/"))
    for level in levels:
        if level in ("+", "{athlete}", "{squad}"):
            continue
        if not level or any(c in level for c in "+#{}"):
            raise LayoutError(
                f"{where} = {text!r}: a level is a name, + or {{athlete}} or {{squad}} (a whole level), not {level!r}"
            )
    if levels.count("{athlete}") != 1:
        raise LayoutError(f"{where} = {text!r}: needs {{athlete}} exactly once")
    if levels.count("{squad}") > 1:
        raise LayoutError(f"{where} = {text!r}: {{squad}} at most once")
    return TopicPattern(text, levels)


def _path(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, str) or not value or any(not part for part in value.split(".")):
        raise LayoutError(f'{where}: expected a field name or a dotted path such as "heart.bpm"')
    return tuple(value.split("."))


def _time(value: Any, where: str) -> TimeSpec:
    if value == ARRIVAL:
        return TimeSpec()
    if not isinstance(value, dict) or set(value) != {"field", "unit"}:
        raise LayoutError(f'{where}: expected "arrival" or {{ field = "...", unit = "unix_s|unix_ms|iso8601" }}')
    if value["unit"] not in TIME_UNITS:
        raise LayoutError(f"{where}.unit = {value['unit']!r}: expected one of {', '.join(TIME_UNITS)}")
    return TimeSpec(_path(value["field"], f"{where}.field"), value["unit"])


def _stream(name: str, spec: Any, top: dict[str, Any]) -> tuple[TopicPattern, StreamSpec, bool]:
    if not isinstance(spec, dict):
        raise LayoutError(f"[{name}]: expected a table (field, unit, ...)")
    unknown = set(spec) - _STREAM_KEYS
    if unknown:
        raise LayoutError(f"[{name}]: unknown key {sorted(unknown)[0]!r} (keys: {', '.join(sorted(_STREAM_KEYS))})")
    units = UNITS[name]
    if spec.get("unit") not in units:
        raise LayoutError(f"[{name}] unit = {spec.get('unit')!r}: expected one of {', '.join(units)}")
    if ("field" in spec) == ("payload" in spec):
        raise LayoutError(f'[{name}]: give field = "a.b" (a JSON field) or payload = "number" (the whole payload)')
    if "payload" in spec and spec["payload"] != "number":
        raise LayoutError(f'[{name}] payload = {spec["payload"]!r}: the only choice is "number"')
    field = _path(spec["field"], f"[{name}] field") if "field" in spec else None
    if "topic" not in spec and "topic" not in top:
        raise LayoutError(f"[{name}]: no topic (give topic = ... here or at the top of the file)")
    topic = pattern(spec.get("topic", top.get("topic")), f"[{name}] topic" if "topic" in spec else "topic")
    if "time" not in spec and "time" not in top:
        raise LayoutError(f'[{name}]: no time (give time = "arrival" or {{ field, unit }} here or at the top)')
    time = _time(spec.get("time", top.get("time")), f"[{name}] time" if "time" in spec else "time")
    if field is None and time.field is not None:
        raise LayoutError(f'[{name}]: a plain-number payload has no time field: time = "arrival"')
    default = spec.get("default")
    if default is not None and (field is None or isinstance(default, bool) or not isinstance(default, int | float)):
        raise LayoutError(f"[{name}] default: a number, and only for a JSON field")
    stream = StreamSpec(name, spec["unit"], field, None if default is None else float(default), time)
    return topic, stream, field is not None


def parse_layout(data: dict[str, Any], name: str) -> Layout:
    """A layout from a parsed TOML document; :class:`LayoutError` (one line) if it is not a usable one."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise LayoutError(f"unknown key {sorted(unknown)[0]!r} (top-level keys: {', '.join(sorted(_TOP_KEYS))})")
    if not any(s in data for s in STREAMS):
        raise LayoutError(f"no stream: give at least one of [{'], ['.join(STREAMS)}]")
    match = data.get("match", {})
    if not isinstance(match, dict) or any(isinstance(v, dict | list) for v in match.values()):
        raise LayoutError('match: expected a table of field = value, e.g. match = { _type = "location" }')
    grouped: dict[TopicPattern, tuple[list[StreamSpec], bool]] = {}
    for stream in STREAMS:
        if stream in data:
            topic, spec, is_json = _stream(stream, data[stream], data)
            specs, json_before = grouped.setdefault(topic, ([], is_json))
            if json_before != is_json:
                raise LayoutError(f"[{stream}]: streams on one topic are all JSON fields or it is one plain number")
            if not is_json and specs:
                raise LayoutError(f"[{stream}]: topic {topic.text!r} already carries a plain number")
            specs.append(spec)
    if match and not any(is_json for _, is_json in grouped.values()):
        raise LayoutError('match: only for JSON payloads (every stream has payload = "number")')
    conditions = tuple((_path(k, "match"), v) for k, v in match.items())
    groups = tuple(
        TopicGroup(topic, tuple(specs), is_json, conditions if is_json else ())
        for topic, (specs, is_json) in grouped.items()
    )
    description = data.get("description", "")
    if not isinstance(description, str):
        raise LayoutError("description: expected a string")
    return Layout(name, description, groups)


def load_layout_text(text: str, name: str) -> Layout:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError(f"not TOML: {exc}") from None
    return parse_layout(data, name)
