"""Ticks deferred to a batch (Router.batch, monitor.core.ticks) give every message the outputs it gets when each
message's ticks run at once: the same statuses bit for bit, the same alerts and ids, the same counters and state,
for a squad whose messages interleave, with frames, per-stream batches, jumps, time-outs, starts, stops,
profiles, acknowledgements of real alerts and bad payloads, cut into receive batches of any size."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from monitor.core.pipeline import AthletePipeline, PipelineConfig, encode_status
from monitor.core.router import Routed, Router
from monitor.core.ticks import TickBatch
from monitor.core.wire import Topics, encode_ack, encode_frames, encode_profile, encode_samples, encode_session
from processors.engine import Engine
from processors.profile import SessionPlan
from simulators.frame import Frame
from tests.runs import HOT_PROFILE, hot_fast_run

TOPICS = Topics()
Message = tuple[str, bytes]


def _athlete_messages(rng: np.random.Generator, athlete: str, seed: int) -> list[tuple[float, Message]]:
    """One athlete's messages, each with the event time used to interleave the squad."""
    run: list[Frame] = hot_fast_run(minutes=35, seed=seed)  # alerts from ~20 min on
    frames = run[:1300] + [replace(f, t=f.t + 45.0) for f in run[1300:1700]]  # a jump
    frames += [replace(f, t=f.t + 945.0) for f in run[1700:]]  # a time-out: a new session
    shift = float(rng.integers(0, 30))  # watches started apart
    frames = [replace(f, t=f.t + shift) for f in frames]
    topic = lambda leaf: TOPICS.of("sq", athlete, leaf)  # noqa: E731
    out: list[tuple[float, Message]] = []
    if rng.random() < 0.5:
        plan = SessionPlan(plan="easy", target_pace=360.0)
        out.append((frames[0].t - 1, (topic("session"), encode_session(frames[0].t - 1, "start", plan))))
    i = 0
    while i < len(frames):
        chunk = frames[i : i + int(rng.choice([1, 1, 1, 5, 30, 60]))]
        i += len(chunk)
        t = chunk[-1].t
        if rng.random() < 0.2:
            for stream in ("hr", "pace", "cadence", "temp"):
                pairs = [(f.t, v) for f in chunk if (v := getattr(f, stream)) is not None]
                if pairs:
                    out.append((t, (topic(stream), encode_samples(*zip(*pairs, strict=True)))))
        else:
            out.append((t, (topic("frame"), encode_frames(chunk))))
        r = rng.random()
        if r < 0.004:
            out.append((t, (topic("profile"), encode_profile(replace(HOT_PROFILE, hr_max=190)))))
        elif r < 0.015:
            out.append((t, (topic("frame"), b'{"t": "x", "hr": 1e9}')))  # rejected, nothing else changes
        elif r < 0.0165:
            out.append((t, (topic("session"), encode_session(t + 0.5, "stop"))))
    return out


def _squad(seed: int, athletes: int) -> list[Message]:
    rng = np.random.default_rng(seed)
    tagged = [m for a in range(athletes) for m in _athlete_messages(rng, f"a{a}", seed * 10 + a)]
    order = sorted(range(len(tagged)), key=lambda k: (tagged[k][0], k))
    return [tagged[k][1] for k in order]


def _seen(routed: Routed) -> tuple[Any, ...]:
    out = routed.out
    return (
        [encode_status(s) for s in out.statuses],
        [json.dumps(a.to_dict(), sort_keys=True) for a in out.alerts],
        (out.late, out.merged, out.sessions_ended, out.future, len(out.tick_seconds)),
        routed.rejected,
        routed.acked,
        routed.applied,
    )


def _one_by_one(messages: list[Message], config: PipelineConfig, rng: np.random.Generator) -> list[Message]:
    """Route one message at a time, adding an acknowledgement of some of the alerts right after them; returns
    the messages as routed (acks included)."""
    router = Router(config=config)
    done: list[Message] = []
    for topic, payload in messages:
        done.append((topic, payload))
        routed = router.handle(topic, payload)
        for alert in routed.out.alerts:
            if rng.random() < 0.7:
                done.append((TOPICS.of(alert.squad, alert.athlete, "ack"), encode_ack(alert.id)))
                router.handle(*done[-1])
    return done


def _route(messages: list[Message], config: PipelineConfig, cuts: list[int] | None) -> tuple[list[Any], Router]:
    """Every message's outputs, routed one at a time (``cuts`` None) or in batches ending at ``cuts``; the
    router's counters get ``batched_ticks`` and ``rounds``."""
    router = Router(config=config)
    if cuts is None:
        return [_seen(router.handle(t, p)) for t, p in messages], router
    routed: list[Routed] = []
    start, ticks, rounds = 0, 0, 0
    for end in [*cuts, len(messages)]:
        with router.batch() as batch:
            routed.extend(router.handle(t, p) for t, p in messages[start:end])
        assert not batch.errors and not batch.pending
        start, ticks, rounds = end, ticks + batch.ticks, rounds + batch.rounds
    seen = [_seen(r) for r in routed]
    router.counters.update(batched_ticks=ticks, rounds=rounds)
    return seen, router


def _state(router: Router) -> str:
    return json.dumps({"/".join(k): p.state_dict() for k, p in router.pipelines.items()}, sort_keys=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("config", [PipelineConfig(), PipelineConfig(max_jump_s=5.0, session_timeout_s=40.0)])
def test_a_batch_gives_each_message_what_it_gets_alone(seed: int, config: PipelineConfig) -> None:
    rng = np.random.default_rng(seed)
    messages = _one_by_one(_squad(seed, athletes=4), config, rng)
    alone, ref = _route(messages, config, None)
    cuts = sorted({int(x) for x in rng.integers(1, len(messages), size=len(messages) // 20)})
    batched, router = _route(messages, config, cuts)
    assert batched == alone
    ticks, rounds = router.counters.pop("batched_ticks"), router.counters.pop("rounds")
    assert router.counters == ref.counters and _state(router) == _state(ref)
    assert ticks > 1.5 * rounds  # most rounds held more than one athlete
    # the batches did defer ticks of several athletes together, and the run did exercise what it claims
    statuses = sum(len(s[0]) for s in alone)
    assert statuses > 500 and ref.counters["alerts"] > 0 and ref.counters["acks"] > 0
    assert ref.counters["rejected"] > 0 and sum(s[2][2] for s in alone) >= 4


def test_ticks_of_one_athlete_in_one_batch_stay_in_order() -> None:
    """A 60-frame message makes 12 ticks of one athlete due in one batch: they run in 12 rounds, in order."""
    frames = hot_fast_run(minutes=3, seed=5)
    alone, _ = _route([(TOPICS.of("sq", "a", "frame"), encode_frames(frames[i : i + 60])) for i in (0, 60, 120)],
                      PipelineConfig(), None)  # fmt: skip
    router = Router()
    with router.batch() as batch:
        routed = [router.handle(TOPICS.of("sq", "a", "frame"), encode_frames(frames[i : i + 60])) for i in (0, 60, 120)]
        due = len(batch.pending)
        assert due == sum(len(s[0]) for s in alone) and not routed[0].out.statuses
    assert [_seen(r) for r in routed] == alone and batch.ticks == batch.rounds == due > 30


def test_a_failing_tick_is_lost_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tick that raises (a bug) is reported in the batch's errors; the other athletes' ticks are not touched."""
    frames = encode_frames(hot_fast_run(minutes=1, seed=3)[:30])
    alone = _route([(TOPICS.of("sq", a, "frame"), frames) for a in ("a", "b", "c")], PipelineConfig(), None)[0]
    broken: list[Engine] = []
    original = Engine._indicators

    def failing(self: Engine, window: Any, results: dict[str, Any]) -> Any:
        if self in broken:
            raise RuntimeError("a bug")
        return original(self, window, results)

    monkeypatch.setattr(Engine, "_indicators", failing)
    router = Router()
    with router.batch() as batch:
        routed = [router.handle(TOPICS.of("sq", a, "frame"), frames) for a in ("a", "b", "c")]
        pipe = router.pipelines[("sq", "b")]
        assert isinstance(pipe, AthletePipeline) and pipe._engine is not None
        broken.append(pipe._engine)
    assert len(batch.errors) == len(alone[1][0]) and all(isinstance(e, RuntimeError) for e in batch.errors)
    seen = [_seen(r) for r in routed]
    assert seen[0] == alone[0] and seen[2] == alone[2]
    assert routed[1].out.statuses == []


def test_tick_many_is_tick_bit_for_bit() -> None:
    """Engine.tick_many over engines at different points of different runs equals each engine's own tick."""
    runs = [hot_fast_run(minutes=12, seed=s) for s in (1, 2, 3)]
    pipes = [AthletePipeline("sq", f"a{i}", HOT_PROFILE) for i in range(3)]
    twins = [AthletePipeline("sq", f"a{i}", HOT_PROFILE) for i in range(3)]
    for k in range(0, 700, 7):
        batch = TickBatch()
        for i, (pipe, twin) in enumerate(zip(pipes, twins, strict=True)):
            part = [(n, f.t, v) for f in runs[i][k + i : k + i + 7] for n, v in f.streams().items()]
            a = pipe.add_many(part, frames=True)
            batch.attach(twin)
            b = twin.add_many(part, frames=True)
            batch.run()
            assert [encode_status(s) for s in a.statuses] == [encode_status(s) for s in b.statuses]
        batch.detach_all()
