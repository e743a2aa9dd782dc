"""Routes one MQTT message to the right athlete pipeline (pure: no I/O, testable without a broker).

Bounded: a payload over ``max_payload`` bytes is rejected before parsing; at most ``max_athletes`` pipelines are
kept (a new athlete beyond that takes the place of the longest-finished one, or is rejected when every one is
running); a sample more than ``max_future_s`` ahead of the caller's wall clock (``now``) is rejected as
"future time". Every rejection is returned as ``(topic, reason)`` and counted.
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from monitor.core import wire
from monitor.core.pipeline import AthletePipeline, Output, PipelineConfig
from monitor.core.profiles import ProfileBook
from monitor.core.ticks import TickBatch
from monitor.errors import RejectedMessage


@dataclass(slots=True)
class Routed:
    """The outcome of one message: pipeline output and ``(topic, reason)`` rejections."""

    out: Output = field(default_factory=Output)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    acked: tuple[str, str, str] | None = None  # (squad, athlete, alert_id) of an ack the policy knew
    applied: tuple[str, str, str] | None = None  # (squad, athlete, leaf) when the message reached a pipeline
    session_start: float | None = None  # the athlete's session start right after the message (when applied)
    session_changed: bool = False  # the message started, ended or replaced the athlete's session


class Router:
    def __init__(
        self,
        topics: wire.Topics | None = None,
        profiles: ProfileBook | None = None,
        config: PipelineConfig | None = None,
        *,
        max_athletes: int = 10_000,
        max_payload: int = 256 * 1024,
        max_future_s: float = 300.0,
    ) -> None:
        self.topics = topics or wire.Topics()
        self.profiles = profiles or ProfileBook()
        self.config = config or PipelineConfig()
        self.max_athletes = max_athletes
        self.max_payload = max_payload
        self.max_future_s = max_future_s
        self.pipelines: dict[tuple[str, str], AthletePipeline] = {}
        self.counters: Counter[str] = Counter()
        self._finished: OrderedDict[tuple[str, str], None] = OrderedDict()  # athletes without a running session
        self._batch: TickBatch | None = None  # ticks deferred while a batch of messages is handled (batch())
        self._batched: list[Routed] = []  # what the batch's messages produced, counted when its ticks have run

    def pipeline(self, squad: str, athlete: str) -> AthletePipeline:
        """The athlete's pipeline, created on first use; :class:`RejectedMessage` ("athlete cap reached") when
        ``max_athletes`` run a session already."""
        key = (squad, athlete)
        pipe = self.pipelines.get(key)
        if pipe is None:
            if len(self.pipelines) >= self.max_athletes:
                if not self._finished:
                    raise RejectedMessage("athlete cap reached")
                old, _ = self._finished.popitem(last=False)
                del self.pipelines[old]
                self.counters["evicted"] += 1
            pipe = AthletePipeline(squad, athlete, self.profiles.get(squad, athlete), self.config)
            self.pipelines[key] = pipe
        return pipe

    def note(self, key: tuple[str, str]) -> None:
        """Keep the set of finished athletes (the ones a new athlete may replace) up to date after ``key``
        changed outside :meth:`handle` (e.g. a session ended on the wall clock)."""
        pipe = self.pipelines.get(key)
        if pipe is not None and not pipe.active:
            self._finished[key] = None
            self._finished.move_to_end(key)
        else:
            self._finished.pop(key, None)

    @contextmanager
    def batch(self) -> Iterator[TickBatch]:
        """Handle a batch of messages with their ticks deferred to the end of the ``with`` block, where they run
        together (monitor.core.ticks): the same statuses and alerts, in each message's :class:`Routed`, which is
        complete only once the block has ended. Ticks that raised (a bug) are in the batch's ``errors``.

        >>> router = Router()
        >>> with router.batch() as batch:
        ...     done = [router.handle("crampwatch/v1/s/a/frame", b'{"t": %d, "hr": 120}' % t) for t in range(6)]
        ...     [len(routed.out.statuses) for routed in done]
        [0, 0, 0, 0, 0, 0]
        >>> [len(routed.out.statuses) for routed in done], batch.ticks, router.counters["statuses"]
        ([1, 0, 0, 0, 0, 1], 2, 2)
        """
        if self._batch is not None:  # nested: the outer block runs them
            yield self._batch
            return
        batch = self._batch = TickBatch()
        try:
            yield batch
        finally:
            self._batch = None
            batch.detach_all()
            counters = self.counters
            for routed in self._batched:
                out = routed.out
                if out.statuses:
                    counters["statuses"] += len(out.statuses)
                if out.alerts:
                    counters["alerts"] += len(out.alerts)
            self._batched.clear()

    def __iter__(self) -> Iterator[AthletePipeline]:
        return iter(self.pipelines.values())

    def handle(self, topic: str, payload: bytes | bytearray | str, *, now: float | None = None) -> Routed:
        """Validate and apply one message. Never raises on bad input: rejections are returned and counted.
        ``now``: the wall clock (Unix seconds) for the "future time" bound; None (offline) checks no bound."""
        routed = Routed()
        self.counters["messages"] += 1
        try:
            where = self.topics.parse(topic)
            if len(payload) > self.max_payload:
                raise RejectedMessage("payload too large")
            known = self.pipelines.get((where.squad, where.athlete))
            before = None if known is None else known.session_start
            self._apply(where, payload, routed, now)
        except RejectedMessage as exc:
            routed.rejected.append((topic, exc.reason))
        else:
            if routed.out.future:
                routed.rejected.extend((topic, "future time") for _ in routed.out.future)
            key = (where.squad, where.athlete)
            pipe = self.pipelines.get(key)
            if pipe is not None:
                routed.session_start = pipe.session_start
                routed.session_changed = pipe.session_start != before
            if pipe is None or not pipe.active or key in self._finished:
                self.note(key)  # (a running athlete, as nearly every message's, is not in the finished set)
        out, counters = routed.out, self.counters
        if routed.rejected:  # (most messages change none of these: no Counter update for them)
            counters["rejected"] += len(routed.rejected)
        if out.late or out.merged or out.future:
            counters["late"] += out.late
            counters["merged"] += out.merged
            counters["future"] += len(out.future)
        if self._batch is not None:  # its ticks may still be pending: counted at the end of the batch
            self._batched.append(routed)
            return routed
        if out.statuses:
            counters["statuses"] += len(out.statuses)
        if out.alerts:
            counters["alerts"] += len(out.alerts)
        return routed

    def _apply(self, where: wire.Topic, payload: bytes | bytearray | str, routed: Routed, now: float | None) -> None:
        leaf = where.leaf
        if leaf in wire.STREAMS or leaf == "frame":
            parsed = wire.parse_frames(payload) if leaf == "frame" else wire.parse_stream(leaf, payload)
            if parsed.rejected:
                topic = self.topics.of(where.squad, where.athlete, leaf)
                routed.rejected.extend((topic, r) for r in parsed.rejected)
            samples = parsed.samples
            bound = math.inf if now is None else now + self.max_future_s
            if samples and (samples[0][1] if len(samples) == 1 else max(x[1] for x in samples)) > bound:
                topic = self.topics.of(where.squad, where.athlete, leaf)
                samples = [x for x in samples if x[1] <= bound]
                self.counters["future"] += len(parsed.samples) - len(samples)
                routed.rejected.extend((topic, "future time") for _ in range(len(parsed.samples) - len(samples)))
            if samples:
                self.counters["samples"] += len(samples)
                target = self.pipeline(where.squad, where.athlete)
                if self._batch is not None:
                    self._batch.attach(target)
                routed.out = target.add_many(samples, frames=leaf == "frame")
                routed.applied = (where.squad, where.athlete, leaf)
        elif leaf == "profile":
            if not payload:  # a retained profile deleted (an empty retained message): the file's or the defaults
                merged = self.profiles.clear_retained(where.squad, where.athlete)
                pipe = self.pipelines.get((where.squad, where.athlete))
                if pipe is not None:  # it stayed in use until a restart (audit6)
                    pipe.set_profile(merged)
                    routed.applied = (where.squad, where.athlete, leaf)
                return
            profile, bad = wire.parse_profile(payload)
            topic = self.topics.of(where.squad, where.athlete, leaf)
            routed.rejected.extend((topic, r) for r in bad)
            merged = self.profiles.set_retained(where.squad, where.athlete, profile)
            self.pipeline(where.squad, where.athlete).set_profile(merged)
            routed.applied = (where.squad, where.athlete, leaf)
            self.counters["profiles"] += 1
        elif leaf == "session":
            msg, bad = wire.parse_session(payload)
            if now is not None and msg.t > now + self.max_future_s:
                raise RejectedMessage("future time")
            if bad:  # an invalid plan or target pace: dropped and reported, the start is taken
                topic = self.topics.of(where.squad, where.athlete, leaf)
                routed.rejected.extend((topic, r) for r in bad)
            pipe = self.pipeline(where.squad, where.athlete)
            routed.out = pipe.start(msg.t, msg.session_plan()) if msg.event == "start" else pipe.stop(msg.t)
            routed.applied = (where.squad, where.athlete, leaf)
        elif leaf == "ack":
            ack = wire.parse_ack(payload)
            known = self.pipelines.get((where.squad, where.athlete))
            if known is not None and known.ack(ack.alert_id):
                routed.acked = (where.squad, where.athlete, ack.alert_id)
                routed.applied = (where.squad, where.athlete, leaf)
            self.counters["acks" if routed.acked else "acks_unknown"] += 1
