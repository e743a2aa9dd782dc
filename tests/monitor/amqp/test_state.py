"""Shard hand-over state without a broker: what a worker taking a shard over restores (monitor/amqp/state.py)."""

from __future__ import annotations

from typing import Any, cast

from monitor.amqp.shard import Shard
from monitor.amqp.state import MemoryShardStore
from monitor.core.router import Router
from monitor.core.wire import Topics, encode_frames, encode_profile, encode_session
from tests.runs import HOT_PROFILE, hot_fast_run

T = Topics()
KEY = ("club", "ann")


def shard(router: Router) -> Shard:
    return Shard(0, router, channel=cast(Any, None), queue=cast(Any, None))  # activate() needs neither


async def test_a_profile_between_sessions_survives_a_hand_over() -> None:
    """A profile message for a runner with no session yet is applied, saved at the checkpoint and acknowledged; the
    worker that takes the shard over must know it (found by flakes2: test_failover's taken-over runners had
    ``name: None``; the store kept only open sessions)."""
    store = MemoryShardStore()
    first = Router(T)
    assert first.handle(T.of(*KEY, "profile"), encode_profile(HOT_PROFILE)).applied is not None
    await store.save(0, {KEY: first.pipelines[KEY].state_dict()})  # what Shard.checkpoint saves for a touched key

    second = shard(Router(T))
    assert await second.activate(store, None) == 0  # no session to restore, but the profile
    assert second.router.profiles.get(*KEY) == HOT_PROFILE
    frames = hot_fast_run(minutes=3)
    second.router.handle(T.of(*KEY, "session"), encode_session(frames[0].t, "start"))
    out = second.router.handle(T.of(*KEY, "frame"), encode_frames(frames))
    assert out.out.statuses and {s["name"] for s in out.out.statuses} == {"Hot"}


async def test_a_runner_never_heard_of_is_not_restored() -> None:
    store = MemoryShardStore()
    first = Router(T)
    frames = hot_fast_run(minutes=1)
    first.handle(T.of(*KEY, "session"), encode_session(frames[0].t, "start"))
    first.handle(T.of(*KEY, "session"), encode_session(frames[0].t + 10, "stop"))
    await store.save(0, {KEY: first.pipelines[KEY].state_dict()})
    assert await store.load(0) == {}  # a closed session with the default profile: nothing to carry over
