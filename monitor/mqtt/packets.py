"""MQTT 3.1.1 PUBLISH packets read straight from the receive buffer (the monitor's hot path).

paho reads every packet in pure Python — a 1-byte read for the fixed header, one per length byte, the rest, then a
``MQTTMessage`` with its properties, a debug-log format and a dispatch — about a third of the monitor's CPU under
load (``python -m benchmarks.spy``). The PUBLISH packets that need nothing from paho afterwards (QoS 0; QoS 1 when
the monitor acknowledges them itself, after processing) are split off the buffer here; every other packet
(CONNACK, SUBACK, PINGRESP, PUBACK, QoS 2, anything malformed or incomplete) stays for paho, in order.
"""

from __future__ import annotations

#: One PUBLISH: topic (raw bytes, decoded by the caller), payload, packet id (0 for QoS 0) and QoS.
Publish = tuple[bytes, bytes, int, int]


def split_publishes(buf: bytes, pos: int, limit: int, *, qos1: bool) -> tuple[list[Publish], int]:
    """The complete PUBLISH packets at ``buf[pos:]`` (at most ``limit``) and the position after them.

    Stops at the first packet that is not a PUBLISH of QoS 0 (or 1 when ``qos1``), that is not complete in
    ``buf``, or whose lengths do not add up (malformed: paho reads it and closes the connection as it should).

    >>> pub = bytes([0x30, 10, 0, 3]) + b"a/b" + b"{1}.."    # QoS 0, topic "a/b", payload "{1}.."
    >>> ack = bytes([0x90, 3, 0, 1, 0])                     # a SUBACK: paho's
    >>> split_publishes(pub + pub + ack, 0, 10, qos1=False)
    ([(b'a/b', b'{1}..', 0, 0), (b'a/b', b'{1}..', 0, 0)], 24)
    >>> split_publishes(pub[:7], 0, 10, qos1=False)          # incomplete: wait for the rest
    ([], 0)
    """
    out: list[Publish] = []
    end = len(buf)
    while pos < end and len(out) < limit:
        head = buf[pos]
        if head & 0xF0 != 0x30:
            break
        qos = (head >> 1) & 3
        if qos > 1 or (qos and not qos1) or (not qos and head & 0x08):  # QoS 0 never sets DUP
            break
        i, length, shift = pos + 1, 0, 0
        while i < end and shift < 28:  # remaining length: 1-4 bytes, 7 bits each, low first
            byte = buf[i]
            i += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        else:
            break  # incomplete length, or more than 4 length bytes (malformed)
        stop = i + length
        if stop > end or length < 2:
            break
        topic_end = i + 2 + ((buf[i] << 8) | buf[i + 1])
        if topic_end == i + 2:  # MQTT 3.1.1 has no empty topic: malformed
            break
        mid = 0
        if qos:
            if topic_end + 2 > stop:
                break
            mid = (buf[topic_end] << 8) | buf[topic_end + 1]
            payload_start = topic_end + 2
        else:
            payload_start = topic_end
        if payload_start > stop:
            break
        out.append((buf[i + 2 : topic_end], buf[payload_start:stop], mid, qos))
        pos = stop
    return out, pos
