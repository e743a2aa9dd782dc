"""A minimal FIT writer for tests (file_id, record, lap, session messages), so FIT parsing is tested without
the realdata folder. Little-endian, no developer fields; the second half writes compressed-timestamp headers,
device system time, timer events and user profiles."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from fitdecode.utils import compute_crc

FIT_EPOCH = 631_065_600  # 1989-12-31T00:00:00Z in Unix seconds

# base types: (code, struct format, invalid value)
UINT8 = (0x02, "B", 0xFF)
SINT8 = (0x01, "b", 0x7F)
ENUM = (0x00, "B", 0xFF)
UINT16 = (0x84, "H", 0xFFFF)
UINT32 = (0x86, "I", 0xFFFFFFFF)

# (field number, base type, scale)
RECORD_FIELDS = {
    "timestamp": (253, UINT32, 1),
    "heart_rate": (3, UINT8, 1),
    "cadence": (4, UINT8, 1),
    "fractional_cadence": (53, UINT8, 128),
    "speed": (6, UINT16, 1000),
    "distance": (5, UINT32, 100),
    "temperature": (13, SINT8, 1),
    "altitude": (2, UINT16, 5),  # FIT: (m + 500) x 5; the writer is given m + 500 (ALTITUDE_OFFSET)
}
#: FIT ``altitude`` offset (m): stored = (altitude + 500) x 5.
ALTITUDE_OFFSET = 500.0
SESSION_FIELDS = {
    "timestamp": (253, UINT32, 1),
    "start_time": (2, UINT32, 1),
    "sport": (5, ENUM, 1),
    "total_timer_time": (8, UINT32, 1000),
    "total_distance": (9, UINT32, 100),
    "avg_heart_rate": (16, UINT8, 1),
    "max_heart_rate": (17, UINT8, 1),
    "avg_cadence": (18, UINT8, 1),
}
SPORTS = {"running": 1, "cycling": 2}


@dataclass
class Sample:
    t: float  # Unix seconds (whole)
    hr: int | None = None
    cadence: int | None = None  # strides/min (running) or rpm
    fractional: float | None = None
    speed: float | None = None  # m/s
    distance: float | None = None  # m
    temp: int | None = None
    altitude: float | None = None  # m


def _altitude(s: Sample) -> float | None:
    return None if s.altitude is None else s.altitude + ALTITUDE_OFFSET


def _definition(local: int, global_num: int, fields: dict[str, tuple[int, tuple[int, str, int], int]]) -> bytes:
    out = bytes([0x40 | local, 0, 0]) + struct.pack("<HB", global_num, len(fields))
    for num, (code, fmt, _), _scale in fields.values():
        out += bytes([num, struct.calcsize(fmt), code])
    return out


def _data(
    local: int, fields: dict[str, tuple[int, tuple[int, str, int], int]], values: dict[str, float | None]
) -> bytes:
    out = bytes([local])
    for name, (_, (_, fmt, invalid), scale) in fields.items():
        value = values.get(name)
        out += struct.pack("<" + fmt, invalid if value is None else round(value * scale))
    return out


def fit_bytes(samples: Sequence[Sample], *, sport: str = "running", session: dict[str, float] | None = None) -> bytes:
    body = _definition(0, 0, {"type": (0, ENUM, 1)}) + _data(0, {"type": (0, ENUM, 1)}, {"type": 4})
    body += _definition(1, 20, RECORD_FIELDS)
    for s in samples:
        body += _data(
            1,
            RECORD_FIELDS,
            {
                "timestamp": s.t - FIT_EPOCH,
                "heart_rate": s.hr,
                "cadence": s.cadence,
                "fractional_cadence": s.fractional,
                "speed": s.speed,
                "distance": s.distance,
                "temperature": s.temp,
                "altitude": _altitude(s),
            },
        )
    values: dict[str, float | None] = {"sport": SPORTS[sport]}
    if samples:
        values["timestamp"] = samples[-1].t - FIT_EPOCH
        values["start_time"] = samples[0].t - FIT_EPOCH
    for key, value in (session or {}).items():
        values[key] = value
    body += _definition(2, 18, SESSION_FIELDS) + _data(2, SESSION_FIELDS, values)
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    header += struct.pack("<H", compute_crc(header))
    out = header + body
    return out + struct.pack("<H", compute_crc(out))


# ---- messages for the time and profile cases (compressed timestamps, system time, timer events, user) -------

EVENT_FIELDS = {"timestamp": (253, UINT32, 1), "event": (0, ENUM, 1), "event_type": (1, ENUM, 1)}
EVENT_TYPES = {"start": 0, "stop": 1, "stop_all": 4}
CORRELATION_FIELDS = {"timestamp": (253, UINT32, 1), "system_timestamp": (1, UINT32, 1)}
ACTIVITY_FIELDS = {"timestamp": (253, UINT32, 1), "num_sessions": (1, UINT16, 1)}
USER_FIELDS = {
    "gender": (1, ENUM, 1),
    "age": (2, UINT8, 1),
    "height": (3, UINT8, 100),
    "weight": (4, UINT16, 10),
    "resting_heart_rate": (8, UINT8, 1),
    "default_max_heart_rate": (11, UINT8, 1),
}
RECORD_NO_TS = {k: v for k, v in RECORD_FIELDS.items() if k != "timestamp"}


def _record_values(s: Sample, ts: float | None) -> dict[str, float | None]:
    return {
        "timestamp": ts,
        "heart_rate": s.hr,
        "cadence": s.cadence,
        "fractional_cadence": s.fractional,
        "speed": s.speed,
        "distance": s.distance,
        "temperature": s.temp,
        "altitude": _altitude(s),
    }


def fit_file(body: bytes) -> bytes:
    """Header + body + CRC."""
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    header += struct.pack("<H", compute_crc(header))
    out = header + body
    return out + struct.pack("<H", compute_crc(out))


def file_id() -> bytes:
    return _definition(0, 0, {"type": (0, ENUM, 1)}) + _data(0, {"type": (0, ENUM, 1)}, {"type": 4})


def records_compressed(samples: Sequence[Sample]) -> bytes:
    """The first record with a full timestamp, the rest with compressed-timestamp headers (5-bit offset of the
    time since the last full timestamp, FIT protocol), local message 2. Samples must be < 32 s apart."""
    first = _record_values(samples[0], samples[0].t - FIT_EPOCH)
    body = _definition(1, 20, RECORD_FIELDS) + _data(1, RECORD_FIELDS, first)
    body += _definition(2, 20, RECORD_NO_TS)
    for s in samples[1:]:
        offset = int(s.t - FIT_EPOCH) & 0x1F
        body += bytes([0x80 | (2 << 5) | offset]) + _data(2, RECORD_NO_TS, _record_values(s, None))[1:]
    return body


def records_system_time(samples: Sequence[Sample], system_t0: int) -> bytes:
    """Records whose timestamp is device system time: ``system_t0`` + seconds since the first sample."""
    body = _definition(1, 20, RECORD_FIELDS)
    t0 = samples[0].t
    for s in samples:
        body += _data(1, RECORD_FIELDS, _record_values(s, system_t0 + (s.t - t0)))
    return body


def records(samples: Sequence[Sample]) -> bytes:
    body = _definition(1, 20, RECORD_FIELDS)
    for s in samples:
        body += _data(1, RECORD_FIELDS, _record_values(s, s.t - FIT_EPOCH))
    return body


def timer_event(t: float, kind: str) -> bytes:
    values: dict[str, float | None] = {"timestamp": t - FIT_EPOCH, "event": 0, "event_type": EVENT_TYPES[kind]}
    return _definition(3, 21, EVENT_FIELDS) + _data(3, EVENT_FIELDS, values)


def correlation(utc: float, system: int) -> bytes:
    values: dict[str, float | None] = {"timestamp": utc - FIT_EPOCH, "system_timestamp": system}
    return _definition(3, 162, CORRELATION_FIELDS) + _data(3, CORRELATION_FIELDS, values)


def activity(utc: float) -> bytes:
    values: dict[str, float | None] = {"timestamp": utc - FIT_EPOCH, "num_sessions": 1}
    return _definition(3, 34, ACTIVITY_FIELDS) + _data(3, ACTIVITY_FIELDS, values)


def user_profile(**values: float | None) -> bytes:
    return _definition(3, 3, USER_FIELDS) + _data(3, USER_FIELDS, values)
