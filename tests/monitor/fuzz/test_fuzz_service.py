"""Hypothesis over topics and payloads through the real service over a real Mosquitto: hostile messages (oversized,
deeply nested, NaN, wrong types, unicode, far future, bad ids) interleaved with one athlete's valid samples. The
service stays up, counts every rejection (and reports it on ``_monitor/rejected``) and keeps every valid sample."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.core.router import Routed
from monitor.core.wire import Topics
from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.service import Monitor
from tests.brokers import BrokerProcess
from tests.runs import Collector

T = Topics()
_ids = itertools.count()
KINDS = ["oversized", "deep", "nan", "wrong_type", "unicode", "bytes", "future", "bad_id", "range", "batch"]


@dataclass
class Hostile:
    """A message that must be rejected (at least one rejection) without touching the valid samples."""

    leaf: str
    payload: bytes
    athlete_id: str | None = None  # None: the fuzzed athlete's own topic


@dataclass
class Case:
    valid: list[tuple[str, float, float]] = field(default_factory=list)
    hostile: list[Hostile] = field(default_factory=list)
    order: list[int] = field(default_factory=list)  # -1 - i: valid sample i; i >= 0: hostile message i


def _num(x: float) -> str:
    return repr(float(x))


def _not_a_json_document(text: str | bytes) -> bool:
    try:
        doc = json.loads(text)
    except ValueError:  # UnicodeDecodeError included
        return True
    return not isinstance(doc, dict | list)


STREAM = st.sampled_from(["hr", "pace", "cadence", "temp"])
GOOD = {"hr": 150.0, "pace": 330.0, "cadence": 170.0, "temp": 20.0}
JUNK_VALUE = st.one_of(
    st.text(max_size=20), st.booleans(), st.none(), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)  # fmt: skip


@st.composite
def hostile(draw: st.DrawFn) -> Hostile:
    now = time.time()
    kind = draw(st.sampled_from(KINDS))
    stream = draw(STREAM)
    if kind == "oversized":  # a valid sample padded beyond the payload cap: rejected before parsing
        pad = draw(st.integers(min_value=300_000, max_value=1_500_000))
        return Hostile(stream, b'{"t": %s, "v": %s' % (_num(now - 1000).encode(), _num(GOOD[stream]).encode())
                       + b" " * pad + b"}")  # fmt: skip
    if kind == "deep":
        depth = draw(st.integers(min_value=50, max_value=200_000))
        inner = b"[" * depth + b"]" * depth
        return Hostile(draw(st.sampled_from([stream, "frame", "profile", "session", "ack"])),
                       b'{"t": ' + inner + b', "v": 1}' if draw(st.booleans()) else inner)  # fmt: skip
    if kind == "nan":
        bad = draw(st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e999"]))
        where = draw(st.booleans())
        t, v = (bad, _num(GOOD[stream]).encode()) if where else (_num(now - 1000).encode(), bad)
        return Hostile(stream, b'{"t": ' + t + b', "v": ' + v + b"}")
    if kind == "wrong_type":
        junk = draw(JUNK_VALUE)
        which = draw(st.sampled_from(["t", "v"]))
        doc = {"t": now - 1000, "v": GOOD[stream], which: junk}
        return Hostile(stream, json.dumps(doc).encode())
    if kind == "unicode":
        # Hypothesis also draws strings it found in the project's own code, such as a valid sample's JSON: those
        # are not hostile (a raw text that parses as a JSON object or list may be a valid message)
        text = draw(st.text(min_size=1, max_size=200).filter(_not_a_json_document))
        return Hostile(
            draw(st.sampled_from([stream, "frame", "session", "ack", "profile"])),
            json.dumps(text).encode() if draw(st.booleans()) else text.encode("utf-8", "surrogatepass"),
        )
    if kind == "bytes":
        raw = draw(st.binary(min_size=1, max_size=300).filter(_not_a_json_document))  # as "unicode" above
        if raw.strip() in (b"",):
            raw = b"\xff"
        return Hostile(draw(st.sampled_from([stream, "frame"])), raw)
    if kind == "future":  # far ahead of the monitor's clock: "future time", never ends or moves the session
        ahead = draw(st.sampled_from([301.0, 3600.0, 86400.0 * 365, 1e10 - now]))
        return Hostile(stream, json.dumps({"t": now + ahead, "v": GOOD[stream]}).encode())
    if kind == "bad_id":  # ids outside [A-Za-z0-9_-]{1,64}, still one topic level each
        athlete = draw(st.one_of(st.just("x" * 65), st.text(alphabet="äö ü.é€😀", min_size=1, max_size=8)))
        return Hostile(stream, json.dumps({"t": now - 1000, "v": GOOD[stream]}).encode(), athlete_id=athlete)
    if kind == "range":
        value = draw(st.sampled_from({"hr": [0.0, 999.0], "pace": [5.0, 1e9], "cadence": [-1.0, 400.0],
                                      "temp": [-100.0, 99.0]}[stream]))  # fmt: skip
        return Hostile(stream, json.dumps({"t": now - 1000, "v": value}).encode())
    n = draw(st.integers(min_value=601, max_value=2000))  # over the 600-entry batch limit
    return Hostile(stream, json.dumps({"t": [now - 2000 + i for i in range(n)], "v": [GOOD[stream]] * n}).encode())


@st.composite
def cases(draw: st.DrawFn) -> Case:
    case = Case()
    base = time.time() - 600
    for i in range(draw(st.integers(min_value=5, max_value=40))):
        stream = draw(STREAM)
        case.valid.append((stream, base + i, GOOD[stream]))
    case.hostile = draw(st.lists(hostile(), min_size=1, max_size=12))
    case.order = [-1 - i for i in range(len(case.valid))]  # valid samples in time order, hostile ones anywhere
    for i in range(len(case.hostile)):
        case.order.insert(draw(st.integers(min_value=0, max_value=len(case.order))), i)
    return case


async def run_case(url: BrokerURL, case: Case) -> tuple[Monitor, str, int]:
    athlete = f"fuzz{next(_ids)}"
    done = asyncio.Event()

    def watch(routed: Routed, _seconds: float) -> None:
        if routed.applied == ("fuzz", athlete, "profile"):
            done.set()

    async with Monitor(url) as monitor:
        monitor.observers.append(watch)
        await monitor.wait_connected()
        async with url.client() as client:
            for i in case.order:
                if i < 0:
                    stream, t, v = case.valid[-1 - i]
                    await client.publish(T.of("fuzz", athlete, stream), json.dumps({"t": t, "v": v}), qos=1)
                else:
                    h = case.hostile[i]
                    who = h.athlete_id if h.athlete_id is not None else athlete
                    await client.publish(f"{T.prefix}/fuzz/{who}/{h.leaf}", h.payload, qos=1)
            await client.publish(T.of("fuzz", athlete, "profile"), b"{}", qos=1)  # the sentinel: changes nothing
        await asyncio.wait_for(done.wait(), 30)
        return monitor, athlete, monitor.rejects.total


@pytest.mark.broker
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_hostile_messages_never_cost_a_valid_sample(mosquitto_proc: BrokerProcess, case: Case) -> None:
    # The one synchronous async-runner left on purpose: Hypothesis drives @given examples itself and does not
    # await a coroutine test, so each example gets its own event loop here.
    monitor, athlete, rejected = asyncio.run(run_case(mosquitto_proc.url, case))
    pipe = monitor.router.pipelines[("fuzz", athlete)]
    assert pipe.samples == len(case.valid)  # every valid sample kept, none of the hostile ones
    assert pipe.session_start == min(t for _, t, _ in case.valid)  # the session was never ended or moved
    assert rejected >= len(case.hostile)  # every hostile message counted
    assert monitor.counters["errors"] == 0  # no handler crashed
    assert set(monitor.router.pipelines) == {("fuzz", athlete)}  # bad ids never made an athlete


@pytest.mark.broker
async def test_rejections_are_reported_on_the_monitor_topic(mosquitto_proc: BrokerProcess) -> None:
    """The counts reach operators on ``_monitor/rejected`` (rate-limited totals per topic and reason)."""
    url = mosquitto_proc.url
    bad = [b'{"t": NaN, "v": 1}', b"\xff\xfe", b'{"t": 1, "v": "x"}', b'{"t": [1, 2], "v": [150]}',
           b"[" * 100_000 + b"]" * 100_000, b'{"t": 1, "v": 150' + b" " * 300_000 + b"}"]  # fmt: skip

    async def scenario() -> tuple[int, dict[tuple[str, str], int]]:
        async with Monitor(url) as monitor, Collector(url) as seen:
            await monitor.wait_connected()
            async with url.client() as client:
                for payload in bad:
                    await client.publish(T.of("fuzz", "reported", "hr"), payload, qos=1)

            def latest(c: Collector) -> dict[tuple[str, str], int]:
                return {(r["topic"], r["reason"]): r["count"] for r in c.rejected}

            await seen.wait_for(lambda c: sum(latest(c).values()) >= len(bad), timeout=20)
            return monitor.rejects.total, latest(seen)

    total, reported = await scenario()
    assert total == len(bad) == sum(reported.values())
    assert all(topic == T.of("fuzz", "reported", "hr") for topic, _ in reported)
    assert all("\xff" not in reason and "NaN" not in reason for _, reason in reported)  # never echoes the payload
