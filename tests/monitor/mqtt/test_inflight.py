"""InFlight's bookkeeping with paho's own MQTTMessageInfo (no broker: the PUBACK path is tested over Mosquitto in
test_pipelined_alerts.py)."""

from __future__ import annotations

import asyncio
from collections import Counter

from paho.mqtt.client import MQTTMessageInfo

from monitor.mqtt.inflight import InFlight


async def after_pending_callbacks() -> None:
    """Return once the callbacks already scheduled with call_soon have run (they run in order)."""
    done = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon(done.set_result, None)
    await done


async def test_a_qos0_write_under_a_wrapped_mid_is_not_taken_for_the_puback() -> None:
    counters: Counter[str] = Counter()
    changed = asyncio.Event()
    inflight = InFlight(2, 60.0, counters, changed.set)
    info = MQTTMessageInfo(7)
    inflight.add(("t/alert", b"{}", 1, False), info)
    inflight.on_publish(7)  # paho wrote a QoS-0 message that got mid 7 again: this alert is not published
    await after_pending_callbacks()
    assert counters["published"] == 0 and 7 in inflight.entries and not changed.is_set()
    info._set_as_published()  # the PUBACK: paho marks the message published right after its on_publish
    inflight.on_publish(7)
    await asyncio.wait_for(changed.wait(), 1)
    assert counters["published"] == 1 and not inflight.entries and inflight.open == 0


async def test_the_bound_a_timeout_and_what_is_taken_back_on_a_lost_connection() -> None:
    counters: Counter[str] = Counter()
    changed = asyncio.Event()
    inflight = InFlight(2, 0.05, counters, changed.set)
    items = [(f"t/{i}", b"{}", 1, False) for i in range(3)]
    infos = [MQTTMessageInfo(i + 1) for i in range(3)]
    inflight.add(items[0], infos[0])
    inflight.add(items[1], infos[1])
    assert inflight.full and not inflight.slot.is_set()

    async def both_late() -> None:
        while counters["publish_timeouts"] < 2:
            changed.clear()
            await changed.wait()

    await asyncio.wait_for(both_late(), 5)  # both time out: counted, no longer held against the bound
    assert counters["publish_timeouts"] == 2 and inflight.open == 0 and len(inflight.entries) == 2
    inflight.add(items[2], infos[2])
    infos[1]._set_as_published()  # acknowledged, its callback not yet handled when the connection is lost
    assert inflight.take() == [items[0], items[2]]  # in the order handed over
    assert counters["published"] == 1 and not inflight.entries and inflight.slot.is_set()
