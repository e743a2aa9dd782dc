"""Coalesced socket writes for the paho client under one connection.

paho writes each queued packet with its own ``send()``. On a loopback connection every such call also runs the
broker side of TCP in the sending process and wakes the broker: under load a status cost ~100 µs of the monitor's
CPU in ``send()`` alone (``python -m benchmarks.spy``). :class:`SendBuffer` takes paho's writes while
:meth:`SendBuffer.write` runs ``loop_write()``, then hands them to the socket as one ``send()``; what the socket
does not take stays pending, in order, ahead of anything paho writes later.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any


class SendBuffer:
    """Installed as paho's ``_sock_send``: gathers paho's writes during :meth:`write`, and keeps the bytes the
    socket did not take (``pending``) ahead of later ones. :meth:`detach` gives paho its own writer back.
    ``counters["socket_writes"]`` counts the ``send()`` calls made."""

    def __init__(self, paho: Any, counters: Counter[str]) -> None:
        self.paho = paho
        self.counters = counters
        self._real: Callable[[bytes | bytearray], int] = paho._sock_send  # TLS included (paho's own handling)
        self.pending = bytearray()
        self.gathering = False
        paho._sock_send = self._send

    def _send(self, data: bytes | bytearray) -> int:
        if self.gathering or self.pending:
            self.pending += data
            return len(data)
        self.counters["socket_writes"] += 1
        return self._real(data)

    def write(self) -> None:
        """Everything paho holds, in one ``send()`` (the rest pending when the socket is full). Raises
        ``OSError`` when the connection broke."""
        self.gathering = True
        try:
            self.paho.loop_write()
        finally:
            self.gathering = False
        self.send_pending()

    def send_pending(self) -> bool:
        """Send what is pending, as far as the socket takes it; True when nothing is left."""
        if self.pending:
            self.counters["socket_writes"] += 1
            try:
                n = self._real(self.pending)
            except BlockingIOError:
                n = 0
            except (AttributeError, ValueError):  # no socket any more: lost with the connection, as in paho
                n = len(self.pending)
            del self.pending[:n]
        return not self.pending

    def detach(self) -> None:
        if self.paho.__dict__.get("_sock_send") == self._send:
            del self.paho._sock_send
        self.pending.clear()
