"""``--speed 0`` paced by the monitor (simulators/pacing.py), through a Mosquitto that queues only 100 messages
(and keeps 20 in flight) for a client — stock Mosquitto's behaviour, ten times tighter — and the real monitor with a
persistent session, as ``crampwatch monitor`` runs: every message reaches it and its statuses and alerts are those
of an offline run; unpaced, the broker drops most of them; with no monitor online it publishes unpaced (with a
note); with a monitor online that handles nothing it stops after its timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.cli import main
from monitor.core.pipeline import run_offline
from monitor.core.router import Routed
from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.service import Monitor
from simulators.publish import Run, plan_messages
from simulators.scenarios import load_scenario
from tests.brokers import Mosquitto
from tests.runs import Collector

pytestmark = pytest.mark.broker

QUEUE = 100  # messages Mosquitto queues for the monitor beyond the 20 in flight
SQUAD, ATHLETES = "club", ["ana", "ben"]  # the squad scenario's first two: 90 and 60 min, ~9000 messages


def _queue_of(tmp_path: Path, queued: int, inflight: int) -> Iterator[BrokerURL]:
    broker = Mosquitto(tmp_path, extra=f"max_queued_messages {queued}\nmax_inflight_messages {inflight}\n")
    broker.start()
    try:
        yield broker.url
    finally:
        broker.stop()


@pytest.fixture
def small_queue(tmp_path: Path) -> Iterator[BrokerURL]:
    yield from _queue_of(tmp_path, QUEUE, 20)


@pytest.fixture
def tiny_queue(tmp_path: Path) -> Iterator[BrokerURL]:
    """5 queued, 5 in flight: an unpaced publisher outruns any monitor by far more (the loss is certain, not a
    race between the two)."""
    yield from _queue_of(tmp_path, 5, 5)


def simulate_argv(url: BrokerURL, *flags: str) -> list[str]:
    return ["simulate", "--broker", f"mqtt://127.0.0.1:{url.port}", "--scenario", "squad", "--athletes", "2",
            "--seed", "0", "--squad", SQUAD, "--speed", "0", *flags]  # fmt: skip


def published(out: str) -> int:
    return int(out.split("published ", 1)[1].split()[0])


class Handled:
    """Counts what the monitor handles; an event when a given topic has been handled."""

    def __init__(self, monitor: Monitor, marker: str = "") -> None:
        self.marker, self.count, self.marked = marker, 0, asyncio.Event()
        monitor.observers.append(self)

    def __call__(self, routed: Routed, _seconds: float) -> None:
        self.count += 1
        if routed.applied is not None and "/".join(routed.applied) == self.marker:
            self.marked.set()


async def test_speed_0_reaches_the_monitor_whole_and_matches_offline(
    small_queue: BrokerURL, capsys: pytest.CaptureFixture[str]
) -> None:
    url = small_queue
    # event time only (quiet_s): a machine stalled 2 s would add wall-clock 'quiet' copies; persistent session:
    # QoS 1 acknowledged once processed, so the broker's queue holds what the monitor has not handled
    async with Monitor(url, identifier="paced-monitor", quiet_s=60.0) as monitor, Collector(url) as seen:
        await monitor.wait_connected()
        argv = simulate_argv(url, "--pace-window", str(QUEUE // 2))  # the margin the default keeps (docs)
        assert await asyncio.wait_for(asyncio.to_thread(main, argv), 300) == 0
        sent = published(capsys.readouterr().out)
        # simulate returns once the monitor has handled its last message (every session's stop)
        assert monitor.router.counters["messages"] == sent > 9000
        await seen.wait_for(lambda c: all(c.finished(a) for a in ATHLETES), timeout=60)

    for sim in load_scenario("squad").simulate(2, seed=0):
        offline = run_offline(sim.frames, squad=SQUAD, athlete=sim.athlete, profile=sim.profile, plan=sim.plan)
        assert len(offline.statuses) > 500
        live = _statuses(seen, sim.athlete)
        assert [live[s["t"]] for s in offline.statuses] == offline.statuses
        assert [a["id"] for a in seen.alerts if a["athlete"] == sim.athlete] == [a.id for a in offline.alerts]
    assert seen.alerts, "the squad's first two raise alerts, so the comparison covers them"


async def test_unpaced_loses_messages_on_a_small_queue(
    tiny_queue: BrokerURL, capsys: pytest.CaptureFixture[str]
) -> None:
    """What ``--speed 0`` did before it followed the monitor (and ``--unpaced`` still does)."""
    url = tiny_queue
    async with Monitor(url, identifier="unpaced-monitor", quiet_s=60.0) as monitor:
        await monitor.wait_connected()
        handled = Handled(monitor, marker=f"{SQUAD}/zz-marker/profile")
        assert await asyncio.wait_for(asyncio.to_thread(main, simulate_argv(url, "--unpaced")), 300) == 0
        sent = published(capsys.readouterr().out)
        async with url.client() as client:  # queued behind what is left of the run: handled after all of it
            for _ in range(20):  # the queue may still be full when the marker arrives: then it is dropped too
                await client.publish(f"crampwatch/v1/{SQUAD}/zz-marker/profile", b"{}", qos=1)
                try:
                    await asyncio.wait_for(handled.marked.wait(), 3.0)
                    break
                except TimeoutError:
                    continue
        assert handled.marked.is_set()
    assert handled.count - 1 < sent * 0.9, (handled.count, sent)  # the broker dropped at least a tenth


def record(monitor: Monitor, into: set[tuple[str, bytes]], reached: asyncio.Event, count: int) -> None:
    """Every (topic, payload) the monitor handles goes ``into`` the set; ``reached`` is set at ``count`` of them."""
    handle = monitor.router.handle

    def recorded(topic: str, payload: bytes | bytearray | str, *, now: float | None = None) -> Routed:
        into.add((topic, payload if isinstance(payload, bytes) else str(payload).encode()))
        if len(into) >= count:
            reached.set()
        return handle(topic, payload, now=now)

    monitor.router.handle = recorded  # type: ignore[method-assign]


async def test_speed_0_rides_out_a_monitor_restart(small_queue: BrokerURL, capsys: pytest.CaptureFixture[str]) -> None:
    """The monitor stops mid-run and comes back (its persistent session: the broker queues for it meanwhile): the
    publisher waits for it and every message is handled, by one or the other."""
    url, handled = small_queue, set[tuple[str, bytes]]()
    runs = [Run(SQUAD, s.athlete, s.profile, s.frames, s.plan) for s in load_scenario("squad").simulate(2, seed=0)]
    expected = {(m.topic, m.payload) for m in plan_messages(runs)}
    argv = simulate_argv(url, "--pace-window", str(QUEUE // 2), "--pace-timeout", "60")
    halfway, done = asyncio.Event(), asyncio.Event()
    first = Monitor(url, identifier="restarted", quiet_s=60.0)
    record(first, handled, halfway, len(expected) // 2)
    async with first:
        await first.wait_connected()
        cli = asyncio.ensure_future(asyncio.to_thread(main, argv))
        await asyncio.wait_for(halfway.wait(), 120)
    assert not cli.done()
    second = Monitor(url, identifier="restarted", quiet_s=60.0)
    record(second, handled, done, len(expected))  # before it connects: the broker's backlog comes at once
    async with second:
        await second.wait_connected()
        assert await asyncio.wait_for(cli, 300) == 0
        assert done.is_set()
    assert published(capsys.readouterr().out) == len(list(plan_messages(runs)))
    assert handled == expected


@pytest.mark.parametrize("presence", [None, b'{"online": false}'])
async def test_speed_0_without_a_monitor_online_publishes_unpaced_with_a_note(
    mosquitto: BrokerURL, capsys: pytest.CaptureFixture[str], presence: bytes | None
) -> None:
    """Nobody to pace by (no monitor ever on this broker, or one that said it stopped): every message goes out as
    fast as the broker takes it, as before pacing, and a note says so — a harness collecting frames keeps working."""
    if presence is not None:
        async with mosquitto.client() as client:
            await client.publish("crampwatch/v1/_monitor/online", presence, qos=1, retain=True)
    runs = [Run(SQUAD, s.athlete, s.profile, s.frames, s.plan) for s in load_scenario("squad").simulate(2, seed=0)]
    assert await asyncio.wait_for(asyncio.to_thread(main, simulate_argv(mosquitto)), 120) == 0
    out = capsys.readouterr().out
    assert published(out) == len(list(plan_messages(runs)))
    said = "offline" if presence else "not announced"
    where = f"mqtt://127.0.0.1:{mosquitto.port}"
    assert f"note: no monitor online on {where} (crampwatch/v1/_monitor/online: {said})" in out


async def test_speed_0_with_a_monitor_online_that_handles_nothing_stops_after_the_timeout(
    mosquitto: BrokerURL, capsys: pytest.CaptureFixture[str]
) -> None:
    async with mosquitto.client() as client:  # a monitor that says it is there but publishes no status
        await client.publish("crampwatch/v1/_monitor/online", b'{"online": true}', qos=1, retain=True)
    argv = simulate_argv(mosquitto, "--pace-timeout", "1")
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert await asyncio.wait_for(asyncio.to_thread(main, argv), 60) == 1
    took = loop.time() - began
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2, err  # the banner, then one line
    assert err[1].startswith("crampwatch: no progress from the monitor for 1 s (0 of 500 messages seen handled")
    assert "crampwatch/v1/_monitor/online: online" in err[1]
    assert "--unpaced" in err[1] and "Traceback" not in err[1]
    assert took < 30


def _statuses(c: Collector, athlete: str) -> dict[float, dict[str, Any]]:
    """The athlete's statuses by event time; the session's final one (its stop's: a copy of the last tick, or an
    extra tick at the last second, marked ``finished``) as the tick it is, which an offline run ends on."""
    finished = [s for s in c.event_statuses() if s["athlete"] == athlete and s["session_state"] == "finished"]
    assert len(finished) == 1
    return {s["t"]: {**s, "session_state": "live"} for s in c.event_statuses() if s["athlete"] == athlete}


async def test_speed_0_without_session_events_returns_once_the_monitor_caught_up(
    mosquitto: BrokerURL, capsys: pytest.CaptureFixture[str]
) -> None:
    """No stop, so no ``finished`` status: done when a status within a tick of each run's last message arrives."""
    async with Monitor(mosquitto) as monitor:
        await monitor.wait_connected()
        argv = ["simulate", "--broker", f"mqtt://127.0.0.1:{mosquitto.port}", "--scenario", "intervals",
                "--no-session", "--speed", "0", "--pace-timeout", "60"]  # fmt: skip
        assert await asyncio.wait_for(asyncio.to_thread(main, argv), 120) == 0
        sent = published(capsys.readouterr().out)
        assert sent - 2 * 5 <= monitor.router.counters["messages"] <= sent  # at most a tick's messages after it
