"""A minimal FIT writer for tests (file_id, record, lap, session messages), so FIT parsing is tested without
the realdata folder. Little-endian, no compressed timestamps, no developer fields."""

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
}
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
