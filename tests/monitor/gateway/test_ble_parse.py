"""BLE parsers on byte vectors built by hand from the Bluetooth SIG field definitions (GATT Specification
Supplement: Heart Rate Measurement 0x2A37, RSC Measurement 0x2A53; little-endian)."""

from __future__ import annotations

import pytest

from monitor.gateway.ble_parse import MalformedMeasurement, parse_heart_rate, parse_rsc


@pytest.mark.parametrize(
    ("data", "bpm", "contact", "energy", "rr"),
    [
        # flags 0x00: uint8 heart rate, no contact support, nothing else
        (bytes([0x00, 60]), 60, None, None, ()),
        # flags bit 0: uint16 heart rate (0x00B4 = 180)
        (bytes([0x01, 0xB4, 0x00]), 180, None, None, ()),
        # uint16 value above 255 is representable (0x0100 = 256)
        (bytes([0x01, 0x00, 0x01]), 256, None, None, ()),
        # bit 2 set (contact supported), bit 1 clear: no contact
        (bytes([0x04, 95]), 95, False, None, ()),
        # bits 1 and 2: contact detected
        (bytes([0x06, 95]), 95, True, None, ()),
        # bit 1 without bit 2: contact status not supported, bit 1 is meaningless
        (bytes([0x02, 95]), 95, None, None, ()),
        # bit 3: energy expended uint16 kJ (0x0123 = 291)
        (bytes([0x08, 120, 0x23, 0x01]), 120, None, 291, ()),
        # bit 4: RR intervals, uint16 in 1/1024 s: 0x0400 = 1024 -> 1 s, 0x036E = 878 -> 0.857421875 s
        (bytes([0x10, 70, 0x00, 0x04, 0x6E, 0x03]), 70, None, None, (1.0, 878 / 1024)),
        # everything: uint16 150, contact detected, energy 16 kJ, RR 512 and 256 (0.5 s, 0.25 s)
        (bytes([0x1F, 0x96, 0x00, 0x10, 0x00, 0x00, 0x02, 0x00, 0x01]), 150, True, 16, (0.5, 0.25)),
    ],
)
def test_heart_rate_measurement(
    data: bytes, bpm: int, contact: bool | None, energy: int | None, rr: tuple[float, ...]
) -> None:
    m = parse_heart_rate(data)
    assert (m.bpm, m.contact, m.energy_kj) == (bpm, contact, energy)
    assert m.rr_s == pytest.approx(rr)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        bytes([0x00]),  # flags only
        bytes([0x01, 0x50]),  # uint16 flagged, one byte
        bytes([0x08, 120, 0x23]),  # energy flagged, one byte
        bytes([0x10, 70]),  # RR flagged, none
        bytes([0x10, 70, 0x00]),  # RR flagged, odd length
    ],
)
def test_heart_rate_malformed(data: bytes) -> None:
    with pytest.raises(MalformedMeasurement):
        parse_heart_rate(data)


@pytest.mark.parametrize(
    ("data", "speed", "cadence", "stride", "distance", "running"),
    [
        # flags 0x00: walking; speed 0x0280 = 640/256 = 2.5 m/s; cadence 150/min
        (bytes([0x00, 0x80, 0x02, 150]), 2.5, 150, None, None, False),
        # bit 2: running; 0x0300 = 3 m/s; 180/min
        (bytes([0x04, 0x00, 0x03, 180]), 3.0, 180, None, None, True),
        # bits 0,1,2: stride 0x0064 = 100 cm = 1.00 m; total distance 0x00002710 = 10000 dm = 1000.0 m
        (bytes([0x07, 0x00, 0x03, 180, 0x64, 0x00, 0x10, 0x27, 0x00, 0x00]), 3.0, 180, 1.0, 1000.0, True),
        # bit 1 only: distance without stride (0x00000001 = 0.1 m); standing still
        (bytes([0x02, 0x00, 0x00, 0, 0x01, 0x00, 0x00, 0x00]), 0.0, 0, None, 0.1, False),
        # fastest representable speed 0xFFFF/256 = 255.996 m/s (parser does not judge plausibility)
        (bytes([0x04, 0xFF, 0xFF, 255]), 65535 / 256, 255, None, None, True),
    ],
)
def test_rsc_measurement(
    data: bytes, speed: float, cadence: int, stride: float | None, distance: float | None, running: bool
) -> None:
    m = parse_rsc(data)
    assert m.speed_mps == pytest.approx(speed)
    assert (m.cadence_per_min, m.stride_m, m.distance_m, m.running) == (cadence, stride, distance, running)


@pytest.mark.parametrize(
    "data",
    [
        bytes([0x00, 0x00, 0x03]),  # no cadence byte
        bytes([0x01, 0x00, 0x03, 180, 0x64]),  # stride flagged, one byte
        bytes([0x02, 0x00, 0x03, 180, 0x10, 0x27, 0x00]),  # distance flagged, three bytes
        bytes([0x03, 0x00, 0x03, 180, 0x64, 0x00]),  # stride present, distance missing
    ],
)
def test_rsc_malformed(data: bytes) -> None:
    with pytest.raises(MalformedMeasurement):
        parse_rsc(data)
