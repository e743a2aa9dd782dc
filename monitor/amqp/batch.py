"""Relay batches: many input messages of one shard in one AMQP message, and the shard of an athlete.

The relay reads the ingress queue in delivery order and sends each shard what arrived for it as *one* message
(per relay batch): the per-message work of the broker (a quorum-queue enqueue, a delivery, an acknowledgement)
and of the workers (an AMQP frame set to parse, a task) is paid per batch instead of per input. Order holds: a
batch keeps the delivery order of its items, and the batches of one shard are published in order on one channel.

Body layout (big-endian): a version byte, then for each item a 2-byte routing-key length, the routing key (ASCII),
a 4-byte payload length and the payload (bytes as the gateway sent them).

>>> body = encode([("crampwatch.v1.club.ann.hr", b'{"t":1,"v":150}'), ("crampwatch.v1.club.ann.session", b"")])
>>> decode(body)
[('crampwatch.v1.club.ann.hr', b'{"t":1,"v":150}'), ('crampwatch.v1.club.ann.session', b'')]
>>> shard_of("club.ann", 12), shard_of("club.bob", 12)
(7, 4)
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable

#: Content type of a relay batch (a shard message without it is a single input, routing key and body as sent).
CONTENT_TYPE = "application/x-crampwatch-batch"
VERSION = 1
_KEY = struct.Struct(">H")
_BODY = struct.Struct(">I")


def shard_of(athlete: str, shards: int) -> int:
    """The shard of ``squad.athlete``: CRC-32 modulo the shard count (stable across processes and versions)."""
    return zlib.crc32(athlete.encode()) % shards


def encode(items: Iterable[tuple[str, bytes]]) -> bytes:
    parts = [bytes([VERSION])]
    for key, body in items:
        raw = key.encode()
        parts += [_KEY.pack(len(raw)), raw, _BODY.pack(len(body)), body]
    return b"".join(parts)


def items_of(content_type: str | None, routing_key: str | None, body: bytes) -> list[tuple[str, bytes]] | None:
    """The inputs of a shard delivery: a relay batch's items, or the message itself (a single input); None for a
    damaged batch."""
    if content_type != CONTENT_TYPE:
        return [(routing_key or "", body)]
    try:
        return decode(body)
    except ValueError:
        return None


def decode(data: bytes) -> list[tuple[str, bytes]]:
    """The items of a batch; ``ValueError`` for a body that is not one."""
    if not data or data[0] != VERSION:
        raise ValueError("not a crampwatch relay batch (unknown version)")
    items = []
    view, at, end = memoryview(data), 1, len(data)
    try:
        while at < end:
            (n,) = _KEY.unpack_from(view, at)
            key = bytes(view[at + 2 : at + 2 + n]).decode()
            at += 2 + n
            (m,) = _BODY.unpack_from(view, at)
            body = bytes(view[at + 4 : at + 4 + m])
            at += 4 + m
            if at > end:
                raise ValueError("truncated crampwatch relay batch")
            items.append((key, body))
    except struct.error as exc:
        raise ValueError(f"truncated crampwatch relay batch: {exc}") from exc
    return items
