"""The shared publisher, against a real Mosquitto (fixture ``mosquitto`` from tests/conftest.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from monitor.core.wire import Topics, parse_frames, parse_stream
from monitor.errors import BrokerError
from monitor.mqtt.broker import BrokerURL
from processors.profile import Profile
from simulators.frame import Frame
from simulators.publish import Message, PublishStats, Run, plan_messages, publish

T0 = 1_732_400_000.0
TIMEOUT = 20.0


def short_runs(seconds: int = 60) -> list[Run]:
    """Two athletes, 1 Hz, temperature every 30 s; the second starts 3 s later."""
    ann = [
        Frame(t=T0 + i, hr=140.0 + i % 7, pace=300.0 + i % 5, cadence=170.0 + i % 3, temp=20.0 if i % 30 == 0 else None)
        for i in range(seconds)
    ]
    bob = [Frame(t=T0 + 3 + i, hr=150.0, pace=320.0, cadence=168.0) for i in range(seconds - 3)]
    return [
        Run("club", "ann", Profile(name="Ann", training_pace=310.0), ann),
        Run("club", "bob", Profile(name="Bob"), bob),
    ]


@dataclass
class Received:
    topic: str
    payload: bytes
    retain: bool


async def publish_and_collect(
    broker: BrokerURL, runs: Sequence[Run], prefix: str = "t/v1", **kw: object
) -> tuple[list[Received], PublishStats]:
    """Subscribe (QoS 1) before publishing, then collect exactly as many messages as were published."""
    async with broker.client() as sub:
        await sub.subscribe(f"{prefix}/#", qos=1)
        stats = await publish(broker, runs, prefix=prefix, **kw)  # type: ignore[arg-type]
        got: list[Received] = []

        async def collect() -> None:
            async for message in sub.messages:
                got.append(Received(str(message.topic), bytes(message.payload), message.retain))  # type: ignore[arg-type]
                if len(got) == stats.messages:
                    return

        await asyncio.wait_for(collect(), TIMEOUT)
        return got, stats


def expected(runs: Sequence[Run], prefix: str = "t/v1", **kw: object) -> list[tuple[str, bytes]]:
    return [(m.topic, m.payload) for m in plan_messages(runs, prefix=prefix, **kw)]  # type: ignore[arg-type]


def event_times(got: list[Received]) -> list[float]:
    """Event time of every sample carried, in arrival order (profile excluded)."""
    topics = Topics("t/v1")
    out: list[float] = []
    for msg in got:
        leaf = topics.parse(msg.topic).leaf
        if leaf == "frame":
            out += [t for _, t, _ in parse_frames(msg.payload).samples[:1]]
        elif leaf in ("hr", "pace", "cadence", "temp"):
            out += [t for _, t, _ in parse_stream(leaf, msg.payload).samples]
    return out


# ---- the message plan (no broker) -----------------------------------------------------------------------


def test_plan_order_profiles_first_then_sessions_and_frames_in_event_time() -> None:
    msgs = list(plan_messages(short_runs(), prefix="t/v1"))
    leaves = [m.topic.rsplit("/", 1)[1] for m in msgs]
    assert leaves[:2] == ["profile", "profile"] and all(m.retain and m.qos == 1 for m in msgs[:2])
    assert msgs[2].topic == "t/v1/club/ann/session" and json.loads(msgs[2].payload) == {"t": T0, "event": "start"}
    assert leaves[-1] == "session" and json.loads(msgs[-1].payload)["event"] == "stop"
    assert all(m.qos == 1 and not m.retain for m in msgs[2:])
    clocks = [m.at for m in msgs[2:]]
    assert clocks == sorted(clocks)  # type: ignore[type-var]
    bob_start = next(i for i, m in enumerate(msgs) if m.topic == "t/v1/club/bob/session")
    assert json.loads(msgs[bob_start].payload)["t"] == T0 + 3
    assert all(json.loads(m.payload)["t"] <= T0 + 3 for m in msgs[2:bob_start])


def test_plan_is_deterministic_and_counts_add_up() -> None:
    runs = short_runs()
    stats = PublishStats()
    first = [(m.topic, m.payload) for m in plan_messages(runs, stats=stats)]
    assert first == [(m.topic, m.payload) for m in plan_messages(runs)]
    assert stats.messages == len(first) and stats.profiles == 2 and stats.sessions == 4
    assert stats.frames == 60 + 57
    assert stats.samples == sum(len(f.streams()) for r in runs for f in r.frames)


def test_batches_of_frames_and_of_samples() -> None:
    runs = short_runs()
    frames = [m for m in plan_messages(runs, batch=25) if m.topic.endswith("/frame")]
    sizes = [len(json.loads(m.payload)) for m in frames]
    assert sorted(sizes) == sorted([25, 25, 10, 25, 25, 7])
    samples = [m for m in plan_messages(runs, mode="samples", batch=10) if m.topic.endswith("/hr")]
    assert all(len(json.loads(m.payload)["t"]) == 10 for m in samples[:-2])
    single = [m for m in plan_messages(runs, mode="samples") if m.topic.endswith("/temp")]
    assert [json.loads(m.payload) for m in single] == [{"t": T0, "v": 20.0}, {"t": T0 + 30, "v": 20.0}]


def test_late_and_duplicate_frames_keep_their_delivery_order_and_batches_stay_valid() -> None:
    frames = [Frame(t=T0 + i, hr=150.0) for i in (0, 1, 3, 2, 4, 4, 5)]
    runs = [Run("club", "ann", None, frames)]
    sent = [json.loads(m.payload)["t"] for m in plan_messages(runs, session_events=False)]
    assert sent == [T0 + i for i in (0, 1, 3, 2, 4, 4, 5)]
    batches = [m for m in plan_messages(runs, mode="samples", batch=7, session_events=False)]
    for m in batches:  # a batch on the wire must be non-decreasing: split where time goes back
        assert parse_stream("hr", m.payload).rejected == []
    assert sum(len(parse_stream("hr", m.payload).samples) for m in batches) == 7


async def test_bad_arguments() -> None:
    runs = short_runs()
    for kw in ({"batch": 0}, {"batch": 601}, {"mode": "json"}):
        with pytest.raises(ValueError):
            list(plan_messages(runs, **kw))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        list(plan_messages([runs[0], runs[0]]))
    with pytest.raises(ValueError):
        await publish(BrokerURL("127.0.0.1", 1), runs, speed=-1)


# ---- over a real broker ---------------------------------------------------------------------------------


@pytest.mark.broker
async def test_subscriber_receives_exactly_what_was_published_frame_mode(mosquitto: BrokerURL) -> None:
    runs = short_runs()
    got, stats = await publish_and_collect(mosquitto, runs)
    assert [(g.topic, g.payload) for g in got] == expected(runs)
    assert stats.messages == len(got) == 2 + 4 + 117
    times = event_times(got)
    assert times == sorted(times) and len(times) == 117  # merged across runs in event-time order


@pytest.mark.broker
async def test_subscriber_receives_exactly_what_was_published_samples_mode(mosquitto: BrokerURL) -> None:
    runs = short_runs()
    got, stats = await publish_and_collect(mosquitto, runs, mode="samples", batch=5)
    assert [(g.topic, g.payload) for g in got] == expected(runs, mode="samples", batch=5)
    assert stats.samples == sum(len(f.streams()) for r in runs for f in r.frames)
    per_stream: dict[str, list[float]] = {}
    for g in got:
        leaf = g.topic.rsplit("/", 1)[1]
        if leaf in ("hr", "pace", "cadence", "temp"):
            per_stream.setdefault(g.topic, []).extend(t for _, t, _ in parse_stream(leaf, g.payload).samples)
    assert len(per_stream) == 7  # ann: 4 streams, bob: 3
    assert all(ts == sorted(ts) for ts in per_stream.values())


@pytest.mark.broker
async def test_speed_does_not_change_the_bytes(mosquitto: BrokerURL) -> None:
    runs = short_runs(60)
    fast, fast_stats = await publish_and_collect(mosquitto, runs, prefix="fast/v1", speed=0.0)
    paced, paced_stats = await publish_and_collect(mosquitto, runs, prefix="paced/v1", speed=60.0)
    assert [(g.topic.split("/", 2)[2], g.payload) for g in fast] == [
        (g.topic.split("/", 2)[2], g.payload) for g in paced
    ]
    assert len(fast) == fast_stats.messages == paced_stats.messages
    assert 0.85 <= paced_stats.wall_s < 10.0  # 60 s of event time at x60 ≈ 1 s of wall time
    assert fast_stats.wall_s < paced_stats.wall_s


@pytest.mark.broker
async def test_profile_is_retained_for_late_subscribers(mosquitto: BrokerURL) -> None:
    await publish(mosquitto, short_runs(5), prefix="t/v1")

    async def late_subscriber() -> list[Received]:
        async with mosquitto.client() as sub:
            await sub.subscribe("t/v1/+/+/profile", qos=1)
            got: list[Received] = []
            async for message in sub.messages:
                got.append(Received(str(message.topic), bytes(message.payload), message.retain))  # type: ignore[arg-type]
                if len(got) == 2:
                    return got
            return got  # pragma: no cover

    got = await asyncio.wait_for(late_subscriber(), TIMEOUT)
    assert {g.topic for g in got} == {"t/v1/club/ann/profile", "t/v1/club/bob/profile"}
    assert all(g.retain for g in got)
    assert json.loads(next(g.payload for g in got if g.topic.endswith("ann/profile"))) == {
        "name": "Ann",
        "training_pace": 310.0,
    }


@pytest.mark.broker
async def test_publish_with_a_given_client_leaves_it_connected(mosquitto: BrokerURL) -> None:
    async def go() -> tuple[PublishStats, PublishStats]:
        async with mosquitto.client() as client:
            first = await publish(mosquitto, short_runs(5), prefix="a/v1", client=client)
            second = await publish(mosquitto, short_runs(5), prefix="b/v1", client=client, mode="samples")
            return first, second

    first, second = await go()
    assert first.messages > 0 and second.messages > first.messages


async def test_unreachable_broker_is_a_broker_error() -> None:
    from monitor.mqtt.embedded import free_port

    broker = BrokerURL("127.0.0.1", free_port())
    with pytest.raises(BrokerError, match="failed"):
        await publish(broker, short_runs(5))


def test_message_is_a_value() -> None:
    m = Message("t", b"{}", 1, False, 1.0)
    assert m == Message("t", b"{}", 1, False, 1.0)
    with pytest.raises(AttributeError):
        m.topic = "x"  # type: ignore[misc]
