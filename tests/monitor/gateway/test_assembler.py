"""Notifications to contract frames (pure)."""

from __future__ import annotations

from monitor.gateway.assembler import STOPPED_PACE, FrameAssembler, pace_from_speed
from monitor.gateway.ble_parse import HeartRate, RunningSpeedCadence

T = 1_732_400_000.0


def hr(bpm: int, contact: bool | None = True) -> HeartRate:
    return HeartRate(bpm=bpm, contact=contact, energy_kj=None, rr_s=())


def rsc(speed: float, cadence: int, running: bool = True) -> RunningSpeedCadence:
    return RunningSpeedCadence(
        speed_mps=speed, cadence_per_min=cadence, stride_m=None, distance_m=None, running=running
    )


def test_one_frame_per_host_second_with_the_latest_values() -> None:
    a = FrameAssembler()
    assert a.heart_rate(hr(140), T + 0.1) == []
    assert a.running(rsc(3.0, 170), T + 0.4) == []
    assert a.heart_rate(hr(141), T + 0.9) == []  # same second: the later value wins
    done = a.running(rsc(3.2, 172), T + 1.2)  # a new second completes the first
    assert done == [{"t": T, "hr": 141.0, "pace": 333.3, "cadence": 170.0}]
    assert a.flush() == [{"t": T + 1, "pace": 312.5, "cadence": 172.0}]  # only what that second heard
    assert a.flush() == []


def test_stopped_is_a_slow_pace_not_an_error() -> None:
    assert pace_from_speed(0.0) == STOPPED_PACE == 3600.0
    assert pace_from_speed(0.2) == STOPPED_PACE  # below 1 km/h
    assert pace_from_speed(1.0) == 1000.0  # a walk: > 1200 s/km is "not running" only above 0.83 m/s
    assert pace_from_speed(20.0) == 100.0  # clamped to the fastest plausible pace
    a = FrameAssembler()
    a.running(rsc(0.0, 0, running=False), T)
    assert a.flush() == [{"t": T, "pace": 3600.0, "cadence": 0.0}]


def test_no_skin_contact_drops_the_heart_rate() -> None:
    a = FrameAssembler()
    a.heart_rate(hr(200, contact=False), T)
    a.running(rsc(3.0, 170), T + 0.5)
    assert a.flush() == [{"t": T, "pace": 333.3, "cadence": 170.0}]
    assert a.ignored_no_contact == 1
    a.heart_rate(hr(150, contact=None), T + 1)  # contact not supported: trusted
    assert a.flush() == [{"t": T + 1, "hr": 150.0}]


def test_cadence_x2_and_ambient_temperature_once_a_minute() -> None:
    a = FrameAssembler(cadence_factor=2, temp=24.5)
    frames = []
    for i in range(125):
        frames += a.running(rsc(3.0, 86), T + i)
    frames += a.flush()
    assert len(frames) == 125 and all(f["cadence"] == 172.0 for f in frames)
    assert [f["t"] - T for f in frames if "temp" in f] == [0, 60, 120]
