"""Pure parsers of the two standard Bluetooth LE fitness characteristics a chest strap or foot pod notifies.

Byte layouts from the Bluetooth SIG GATT Specification Supplement (all fields little-endian):

**Heart Rate Measurement** (characteristic 0x2A37 of the Heart Rate service 0x180D)::

    flags      uint8   bit 0: heart rate is uint16 (else uint8)
                       bit 1: sensor contact detected      bit 2: sensor contact status supported
                       bit 3: energy expended present      bit 4: RR intervals present
    heart rate uint8 | uint16      beats per minute
    energy     uint16 (if bit 3)   kilojoules since the last reset
    RR         uint16 ... (if bit 4, one or more, to the end)   1/1024 s each

**RSC Measurement** (characteristic 0x2A53 of the Running Speed and Cadence service 0x1814)::

    flags      uint8   bit 0: instantaneous stride length present   bit 1: total distance present
                       bit 2: walking (0) or running (1)
    speed      uint16  1/256 m/s
    cadence    uint8   1/min (see below)
    stride     uint16 (if bit 0)   1/100 m
    distance   uint32 (if bit 1)   1/10 m

The characteristic definition gives the cadence unit only as "1/min". Foot pods that implement the profile send
steps per minute (both feet; about 150-190 while running), which is the contract's ``cadence`` unit; a sensor
that sends strides (one foot, about 75-95) is corrected by the gateway's ``--cadence-x2``. The profile's
"stride length" is a device estimate we keep but do not publish: the monitor computes the contract's
``stride_m`` (two steps) itself from speed and cadence.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

#: 16-bit UUIDs (services and characteristics) in their 128-bit Bluetooth base form.
HEART_RATE_SERVICE = "0000180d-0000-1000-8000-00805f9b34fb"
HEART_RATE_MEASUREMENT = "00002a37-0000-1000-8000-00805f9b34fb"
RSC_SERVICE = "00001814-0000-1000-8000-00805f9b34fb"
RSC_MEASUREMENT = "00002a53-0000-1000-8000-00805f9b34fb"


class MalformedMeasurement(ValueError):
    """A notification shorter than its flags say (or with bits the parser cannot honour)."""


@dataclass(frozen=True, slots=True)
class HeartRate:
    bpm: int
    contact: bool | None  # None: the sensor does not report contact
    energy_kj: int | None
    rr_s: tuple[float, ...]  # RR intervals in seconds (1/1024 s resolution), oldest first


@dataclass(frozen=True, slots=True)
class RunningSpeedCadence:
    speed_mps: float
    cadence_per_min: int
    stride_m: float | None
    distance_m: float | None
    running: bool  # False: the pod says walking


def parse_heart_rate(data: bytes | bytearray) -> HeartRate:
    """Decode a Heart Rate Measurement notification.

    >>> parse_heart_rate(bytes([0x00, 72]))
    HeartRate(bpm=72, contact=None, energy_kj=None, rr_s=())
    >>> parse_heart_rate(bytes([0x16, 150, 0x00, 0x02]))  # contact detected, one RR of 512/1024 s
    HeartRate(bpm=150, contact=True, energy_kj=None, rr_s=(0.5,))
    """
    data = bytes(data)
    if len(data) < 2:
        raise MalformedMeasurement("heart rate measurement shorter than 2 bytes")
    flags = data[0]
    pos = 1
    if flags & 0x01:
        if len(data) < 3:
            raise MalformedMeasurement("16-bit heart rate flagged but missing")
        (bpm,) = struct.unpack_from("<H", data, pos)
        pos += 2
    else:
        bpm = data[pos]
        pos += 1
    contact = bool(flags & 0x02) if flags & 0x04 else None
    energy = None
    if flags & 0x08:
        if len(data) < pos + 2:
            raise MalformedMeasurement("energy expended flagged but missing")
        (energy,) = struct.unpack_from("<H", data, pos)
        pos += 2
    rr: tuple[float, ...] = ()
    if flags & 0x10:
        rest = data[pos:]
        if not rest or len(rest) % 2:
            raise MalformedMeasurement("RR intervals flagged but missing or odd length")
        rr = tuple(v / 1024.0 for v in struct.unpack(f"<{len(rest) // 2}H", rest))
    return HeartRate(bpm=bpm, contact=contact, energy_kj=energy, rr_s=rr)


def parse_rsc(data: bytes | bytearray) -> RunningSpeedCadence:
    """Decode an RSC Measurement notification.

    >>> parse_rsc(bytes([0x04, 0x00, 0x03, 170]))  # running, 768/256 = 3 m/s, 170/min
    RunningSpeedCadence(speed_mps=3.0, cadence_per_min=170, stride_m=None, distance_m=None, running=True)
    """
    data = bytes(data)
    if len(data) < 4:
        raise MalformedMeasurement("RSC measurement shorter than 4 bytes")
    flags = data[0]
    speed_raw, cadence = struct.unpack_from("<HB", data, 1)
    pos = 4
    stride = distance = None
    if flags & 0x01:
        if len(data) < pos + 2:
            raise MalformedMeasurement("stride length flagged but missing")
        (stride_raw,) = struct.unpack_from("<H", data, pos)
        stride = stride_raw / 100.0
        pos += 2
    if flags & 0x02:
        if len(data) < pos + 4:
            raise MalformedMeasurement("total distance flagged but missing")
        (dist_raw,) = struct.unpack_from("<I", data, pos)
        distance = dist_raw / 10.0
        pos += 4
    return RunningSpeedCadence(
        speed_mps=speed_raw / 256.0,
        cadence_per_min=cadence,
        stride_m=stride,
        distance_m=distance,
        running=bool(flags & 0x04),
    )
