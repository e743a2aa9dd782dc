"""Routes one MQTT message to the right athlete pipeline (pure: no I/O, testable without a broker)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from monitor.core import wire
from monitor.core.pipeline import AthletePipeline, Output, PipelineConfig
from monitor.core.profiles import ProfileBook
from monitor.errors import RejectedMessage


@dataclass(slots=True)
class Routed:
    """The outcome of one message: pipeline output and ``(topic, reason)`` rejections."""

    out: Output = field(default_factory=Output)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    acked: tuple[str, str, str] | None = None  # (squad, athlete, alert_id) of an ack the policy knew
    applied: tuple[str, str, str] | None = None  # (squad, athlete, leaf) when the message reached a pipeline


class Router:
    def __init__(
        self,
        topics: wire.Topics | None = None,
        profiles: ProfileBook | None = None,
        config: PipelineConfig | None = None,
    ) -> None:
        self.topics = topics or wire.Topics()
        self.profiles = profiles or ProfileBook()
        self.config = config or PipelineConfig()
        self.pipelines: dict[tuple[str, str], AthletePipeline] = {}
        self.counters: Counter[str] = Counter()

    def pipeline(self, squad: str, athlete: str) -> AthletePipeline:
        key = (squad, athlete)
        pipe = self.pipelines.get(key)
        if pipe is None:
            pipe = AthletePipeline(squad, athlete, self.profiles.get(squad, athlete), self.config)
            self.pipelines[key] = pipe
        return pipe

    def __iter__(self) -> Iterator[AthletePipeline]:
        return iter(self.pipelines.values())

    def handle(self, topic: str, payload: bytes | bytearray | str) -> Routed:
        """Validate and apply one message. Never raises on bad input: rejections are returned and counted."""
        routed = Routed()
        self.counters["messages"] += 1
        try:
            where = self.topics.parse(topic)
            self._apply(where, payload, routed)
        except RejectedMessage as exc:
            routed.rejected.append((topic, exc.reason))
        self.counters["rejected"] += len(routed.rejected)
        self.counters["late"] += routed.out.late
        self.counters["statuses"] += len(routed.out.statuses)
        self.counters["alerts"] += len(routed.out.alerts)
        return routed

    def _apply(self, where: wire.Topic, payload: bytes | bytearray | str, routed: Routed) -> None:
        leaf = where.leaf
        if leaf in wire.STREAMS or leaf == "frame":
            parsed = wire.parse_frames(payload) if leaf == "frame" else wire.parse_stream(leaf, payload)
            routed.rejected.extend((self.topics.of(where.squad, where.athlete, leaf), r) for r in parsed.rejected)
            if parsed.samples:
                self.counters["samples"] += len(parsed.samples)
                routed.out = self.pipeline(where.squad, where.athlete).add_many(parsed.samples)
                routed.applied = (where.squad, where.athlete, leaf)
        elif leaf == "profile":
            if not payload:
                return  # clearing a retained profile
            profile, bad = wire.parse_profile(payload)
            topic = self.topics.of(where.squad, where.athlete, leaf)
            routed.rejected.extend((topic, r) for r in bad)
            merged = self.profiles.set_retained(where.squad, where.athlete, profile)
            self.pipeline(where.squad, where.athlete).set_profile(merged)
            routed.applied = (where.squad, where.athlete, leaf)
            self.counters["profiles"] += 1
        elif leaf == "session":
            msg = wire.parse_session(payload)
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
