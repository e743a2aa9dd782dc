"""The contract's topics: ``{prefix}/{squad}/{athlete}/{leaf}`` built and parsed (ids of 1-64 characters from
``[A-Za-z0-9_-]``), and the monitor's own topics (rejections, presence, the coach feed)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.errors import RejectedMessage

DEFAULT_PREFIX = "crampwatch/v1"
STREAMS = ("hr", "pace", "cadence", "temp")
ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
IN_LEAVES = (*STREAMS, "frame", "profile", "session", "ack")
_TOPIC_CACHE_SIZE = 100_000


@dataclass(frozen=True, slots=True)
class Topic:
    squad: str
    athlete: str
    leaf: str


class Topics:
    """Builds and parses the contract's topics under a configurable prefix."""

    def __init__(self, prefix: str = DEFAULT_PREFIX) -> None:
        if not prefix or prefix.startswith("/") or prefix.endswith("/") or any(c in prefix for c in "#+"):
            raise ValueError(f"bad topic prefix {prefix!r}")
        self.prefix = prefix
        self._parsed: dict[str, Topic] = {}  # topic → (squad, athlete, leaf): the hot path parses a topic once

    def of(self, squad: str, athlete: str, leaf: str) -> str:
        """Topic of one athlete's leaf.

        >>> Topics().of("club", "ann", "hr")
        'crampwatch/v1/club/ann/hr'
        """
        check_id(squad)
        check_id(athlete)
        return f"{self.prefix}/{squad}/{athlete}/{leaf}"

    @property
    def rejected(self) -> str:
        return f"{self.prefix}/_monitor/rejected"

    @property
    def online(self) -> str:
        """The monitor's presence (retained ``{"online": true|false}``; false also as its MQTT will), an addition
        to the contract: publishers pace themselves by a monitor that is there (``simulate --speed 0``)."""
        return f"{self.prefix}/_monitor/online"

    def coach_feed(self, squad: str) -> str:
        """Squad-wide alert feed for coaches (an addition to the contract; leaf ``alerts`` so ``+/+/alert``
        subscribers do not see duplicates)."""
        return f"{self.prefix}/_coach/{squad}/alerts"

    def subscriptions(self) -> list[str]:
        return [f"{self.prefix}/+/+/{leaf}" for leaf in IN_LEAVES]

    def parse(self, topic: str) -> Topic:
        """``(squad, athlete, leaf)`` of an input topic (cached); :class:`RejectedMessage` if it is not one."""
        known = self._parsed.get(topic)
        if known is not None:
            return known
        where = self._parse(topic)
        if len(self._parsed) >= _TOPIC_CACHE_SIZE:
            self._parsed.clear()
        self._parsed[topic] = where
        return where

    def _parse(self, topic: str) -> Topic:
        head = self.prefix + "/"
        if not topic.startswith(head):
            raise RejectedMessage("topic outside prefix")
        parts = topic[len(head) :].split("/")
        if len(parts) != 3:
            raise RejectedMessage("topic must be {squad}/{athlete}/{stream}")
        squad, athlete, leaf = parts
        if not ID_RE.match(squad) or not ID_RE.match(athlete):
            raise RejectedMessage("bad squad or athlete id")
        if leaf not in IN_LEAVES:
            raise RejectedMessage(f"unknown topic leaf {leaf[:20]!r}")
        return Topic(squad, athlete, leaf)


def check_id(value: str) -> str:
    if not ID_RE.match(value):
        raise ValueError(f"bad id {value[:70]!r}: 1-64 characters from [A-Za-z0-9_-]")
    return value
