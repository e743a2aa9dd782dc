"""What a shard worker does when its athletes fall silent: the MQTT service's wall-clock liveness (see
:mod:`monitor.liveness` for the rules and when silence is judged)."""

from __future__ import annotations

from monitor.amqp.outputs import Outputs
from monitor.amqp.shard import Shard
from monitor.liveness import Limits, end_at


async def judge(shard: Shard, outputs: Outputs, limits: Limits, now: float) -> bool:
    """At ``now`` (the time a flush marker that came back was sent, :mod:`monitor.amqp.flush`): release athletes
    gone quiet (the held-back seconds judged, the last status re-published as ``quiet``), re-publish the quiet
    status now and then, end sessions silent for ``idle_end_s``. Returns whether a pipeline changed (the caller
    checkpoints at once, so a worker taking over does not repeat it at another point of the athlete's input)."""
    changed = False
    pipelines = shard.router.pipelines
    actions = shard.live.due(now, since=shard.activated_at, active=lambda k: k in pipelines and pipelines[k].active)
    for action in actions:
        pipe = pipelines[action.key]
        if action.kind == "end":
            if pipe.last_status is not None:
                out = pipe.stop(end_at(pipe.last_status["t"], pipe.session_start))
                shard.router.note(action.key)
                await outputs.emit(shard, out)
                shard.touched(action.key)
                changed = True
            continue
        if action.kind == "release":
            await outputs.emit(shard, pipe.release())
            shard.touched(action.key)
            changed = True
        if pipe.last_status is not None:
            signal, idle = limits.signal(action.idle), round(action.idle, 1)
            await outputs.status({**pipe.last_status, "session_state": "quiet", "signal": signal, "wall_idle_s": idle})
    return changed
