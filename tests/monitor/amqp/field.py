"""A field of runners published over MQTT to RabbitMQ, and what the workers sent back."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from monitor.amqp.shard import share
from monitor.amqp.state import ShardStore
from monitor.amqp.view import BrokerView
from monitor.amqp.worker import ShardWorker
from monitor.core.wire import Topics
from monitor.liveness import Limits
from monitor.store import make_store
from monitor.store.base import SessionStore
from simulators.publish import Mode, Run, publish
from tests.rabbitmq import RabbitNode
from tests.runs import EASY_PROFILE, HOT_PROFILE, Collector, easy_cool_run, hot_fast_run


def field_runs(n: int, minutes: float) -> list[Run]:
    """``n`` runners in two squads: two of three hot and fast (alerts), one of three easy."""
    runs = []
    for i in range(n):
        hot = i % 3 != 2
        frames = hot_fast_run(minutes, seed=i) if hot else easy_cool_run(minutes, seed=i)
        runs.append(Run(f"sq{i % 2}", f"r{i:04d}", HOT_PROFILE if hot else EASY_PROFILE, frames))
    return runs


def finished(runs: Sequence[Run]) -> Any:
    """Condition: every runner's final status (the session stop's tick) has arrived (checked incrementally)."""
    ends = {(r.squad, r.athlete): int(r.frames[-1].t) for r in runs}
    seen = 0
    done: set[tuple[str, str]] = set()

    def check(c: Collector) -> bool:
        nonlocal seen
        for s in c.statuses[seen:]:
            key = (s["squad"], s["athlete"])
            if s["t"] >= ends.get(key, float("inf")):
                done.add(key)
        seen = len(c.statuses)
        return len(done) == len(ends)

    return check


def computed(statuses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The statuses of ticks, without the wall-clock re-publications of a silent runner's last status (``quiet``:
    a publisher slower than 2 s between a runner's messages, as on a loaded machine, makes runners go quiet)."""
    return [s for s in statuses if s.get("session_state") != "quiet"]


def by_athlete(statuses: list[dict[str, Any]]) -> dict[tuple[str, str], dict[float, dict[str, Any]]]:
    """Statuses of ticks per athlete and event time, ``worker`` left out (a recomputed tick is the same tick)."""
    out: dict[tuple[str, str], dict[float, dict[str, Any]]] = defaultdict(dict)
    for s in computed(statuses):
        out[(s["squad"], s["athlete"])][s["t"]] = {k: v for k, v in s.items() if k != "worker"}
    return out


def by_arrival(statuses: list[dict[str, Any]]) -> dict[tuple[str, str], list[float]]:
    """Per athlete, the event times of its statuses of ticks in arrival order."""
    out: dict[tuple[str, str], list[float]] = defaultdict(list)
    for s in computed(statuses):
        out[(s["squad"], s["athlete"])].append(s["t"])
    return out


def workers_in_order(statuses: list[dict[str, Any]]) -> dict[tuple[str, str], list[str]]:
    """Per athlete, the workers that computed its statuses in arrival order, repeats collapsed."""
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for s in statuses:
        seq = out[(s["squad"], s["athlete"])]
        if not seq or seq[-1] != s["worker"]:
            seq.append(s["worker"])
    return out


async def run_field(
    node: RabbitNode,
    prefix: str,
    runs: Sequence[Run],
    *,
    workers: int,
    shards: int,
    stores: Sequence[ShardStore | None],
    histories: Sequence[SessionStore | None] = (),
    mode: Mode = "samples",
    batch: int = 10,
    timeout: float = 400.0,
    limits: Limits | None = None,
) -> tuple[Collector, list[ShardWorker]]:
    """Start ``workers`` in-process workers (separate connections), publish ``runs``, collect until done.
    ``limits``: wall-clock liveness, off by default here (these runs compare sharding, as fast as the publisher
    goes; a publisher stalled for 2 s on a loaded machine would make a runner quiet in one run only)."""
    base = prefix.split("/")[0]
    async with contextlib.AsyncExitStack() as stack:
        pool = []
        for i in range(workers):
            worker = ShardWorker(
                node.amqp_url, shards=shards, store=stores[i], history=histories[i] if histories else None,
                prefix=prefix, base=base, worker_id=f"w{i}", checkpoint_s=1.0, rebalance_s=1.0, limits=limits,
            )  # fmt: skip
            pool.append(await stack.enter_async_context(worker))
        for worker in pool:
            await worker.wait_connected()
        # the relay's ticks reach every shard, so the workers balance before the field starts (each at most its
        # share, every shard held): then every worker takes part however fast the field goes by
        await wait_until(lambda: balanced(pool, shards), timeout=120)
        seen = await stack.enter_async_context(Collector(node.mqtt_url, Topics(prefix)))
        dashboard = await stack.enter_async_context(BrokerView(node.mqtt_url, Topics(prefix)))
        await asyncio.wait_for(dashboard.connected.wait(), 10)
        await publish(node.mqtt_url, runs, mode=mode, batch=batch, prefix=prefix)
        await seen.wait_for(finished(runs), timeout=timeout)
        seen.dashboard = dashboard.view.athletes()  # type: ignore[attr-defined]
    return seen, pool


async def stored_history(url: str) -> dict[str, Any]:
    """What ``crampwatch sessions`` and ``report`` read from a store: per session id, the summary, the statuses
    (``worker`` left out, in event-time order, a session's ``finished`` status after the tick it repeats) and the
    alerts."""
    store = make_store(url, read_only=True)
    await store.open()
    try:
        out: dict[str, Any] = {}
        for row in await store.sessions():
            statuses = [{k: v for k, v in s.items() if k != "worker"} for s in await store.statuses(row.id)]
            statuses.sort(key=lambda s: (s["t"], s.get("session_state") == "finished"))
            out[row.id] = {"summary": row.to_dict(), "statuses": statuses, "alerts": await store.alerts(row.id)}
        return out
    finally:
        await store.close()


def balanced(pool: Sequence[ShardWorker], shards: int) -> bool:
    held = [len(w.active_shards) for w in pool]
    fair = [share(shards, len(pool), relay=w.relaying) for w in pool]
    return sum(held) == shards and all(0 < h <= f for h, f in zip(held, fair, strict=True))


async def wait_until(condition: Any, timeout: float) -> None:
    """Poll a cheap condition on the event loop (wall-clock state such as a consumer hand-over)."""

    async def loop() -> None:
        while not condition():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(loop(), timeout)
