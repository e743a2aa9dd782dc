"""The contract's topics: ``{prefix}/{squad}/{athlete}/{leaf}`` built and parsed (ids of 1-64 characters from
``[A-Za-z0-9_-]``), and the monitor's own topics (rejections, presence, the coach feed)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

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


_NOT_ID = re.compile(r"[^A-Za-z0-9_-]")


@lru_cache(maxsize=4096)  # the gateway bridge turns the same few user names into ids on every message
def to_id(name: str) -> str:
    """A foreign name as an id of :data:`ID_RE` — the one rule for every name made into an id (the gateway bridge's
    user names, ``analyze``/``report``/``replay``'s file names): accents are taken off letters, every other
    character outside ``[A-Za-z0-9_-]`` becomes ``_``, and the id is cut at 64 characters. Two names that differ
    only in replaced characters become one id. A name with no usable character at all is ``""`` (the caller
    rejects it or uses its own default).

    >>> to_id("Zoë"), to_id("jane.doe"), to_id("Zoë Ünïcode run"), to_id("Łódź"), len(to_id("x" * 80))
    ('Zoe', 'jane_doe', 'Zoe_Unicode_run', '_odz', 64)
    >>> to_id("张伟"), to_id("..."), to_id("")
    ('', '', '')
    """
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))[:64]
    ident = _NOT_ID.sub("_", plain)
    return ident if _NOT_ID.sub("", plain) else ""
