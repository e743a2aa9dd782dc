"""The gateway: sensor notifications in (through a :class:`Notifier`), contract frames out (through a
:class:`~monitor.gateway.publisher.FramePublisher`), the athlete's alerts shown in the terminal.

::

    gateway = Gateway(broker, "club", "ann", out=sys.stdout)
    await gateway.run(BleakNotifier(...), stop)      # or any Notifier: tests use a fake one

A :class:`Notifier` is the small interface between the gateway and a radio: it calls ``on_heart_rate(bytes)``
and ``on_running(bytes)`` with the raw characteristic values (Heart Rate Measurement 0x2A37, RSC Measurement
0x2A53) until ``stop`` is set. Bytes that do not parse are counted (``malformed``) and logged at most once a
minute, never fatal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

from monitor.core.wire import Topics
from monitor.gateway.assembler import FrameAssembler
from monitor.gateway.ble_parse import MalformedMeasurement, parse_heart_rate, parse_rsc
from monitor.gateway.publisher import FramePublisher
from monitor.mqtt.broker import BrokerURL

log = logging.getLogger("crampwatch.gateway")

Callback = Callable[[bytes], None]


class Notifier(Protocol):
    """Delivers raw measurement notifications until ``stop`` is set."""

    async def run(self, on_heart_rate: Callback, on_running: Callback, stop: asyncio.Event) -> None: ...


class Gateway:
    def __init__(
        self,
        broker: BrokerURL,
        squad: str,
        athlete: str,
        *,
        topics: Topics | None = None,
        out: TextIO | None = None,
        clock: Callable[[], float] = time.time,
        cadence_factor: int = 1,
        temp: float | None = None,
        profile: bytes | None = None,
        rr_file: Path | None = None,
        buffer_frames: int = 3600,
    ) -> None:
        self.clock = clock
        self.out = out
        self.assembler = FrameAssembler(cadence_factor=cadence_factor, temp=temp)
        self.publisher = FramePublisher(
            broker, squad, athlete, topics=topics, limit=buffer_frames, on_alert=self._alert, on_status=self._status
        )
        self.profile = profile
        self.rr_file = rr_file
        self._rr: TextIO | None = None
        self.alerts: list[dict[str, Any]] = []
        self.alert_seen = asyncio.Event()
        self.last_status: dict[str, Any] | None = None
        self.malformed = 0
        self._malformed_logged = -1e18
        self._started: float | None = None
        self._last_t: float | None = None

    # ---- notifications --------------------------------------------------------------------------------------
    def on_heart_rate(self, data: bytes) -> None:
        t = self.clock()
        try:
            m = parse_heart_rate(data)
        except MalformedMeasurement as exc:
            self._malformed(exc)
            return
        if self._rr is not None and m.rr_s:
            self._rr.write("".join(f"{t:.3f},{rr:.4f}\n" for rr in m.rr_s))
        self._frames(self.assembler.heart_rate(m, t), t)

    def on_running(self, data: bytes) -> None:
        t = self.clock()
        try:
            m = parse_rsc(data)
        except MalformedMeasurement as exc:
            self._malformed(exc)
            return
        self._frames(self.assembler.running(m, t), t)

    def _frames(self, frames: list[dict[str, Any]], t: float) -> None:
        if self._started is None:
            self._started = t
            self.publisher.session(t, "start")
        self._last_t = t
        for frame in frames:
            self.publisher.frame(frame)

    def _malformed(self, exc: Exception) -> None:
        self.malformed += 1
        now = time.monotonic()
        if now - self._malformed_logged >= 60:
            self._malformed_logged = now
            log.warning("sensor sent a malformed measurement (%s); %d so far", exc, self.malformed)

    # ---- what the monitor sends back ------------------------------------------------------------------------
    def _alert(self, alert: dict[str, Any]) -> None:
        self.alerts.append(alert)
        self.alert_seen.set()
        if self.out is not None:
            when = alert.get("t")
            clock = datetime.fromtimestamp(when).strftime("%H:%M:%S") if isinstance(when, int | float) else "--:--:--"
            level = str(alert.get("level", "?")).upper()
            print(f"{clock} {level:<8} {alert.get('message', '')}", file=self.out, flush=True)

    def _status(self, status: dict[str, Any]) -> None:
        self.last_status = status

    # ---- running --------------------------------------------------------------------------------------------
    async def run(self, notifier: Notifier, stop: asyncio.Event, *, drain_s: float = 10.0) -> None:
        """Run until ``stop`` is set (or the notifier returns): then close the session and send what is
        buffered (waiting at most ``drain_s`` seconds for the broker)."""
        if self.rr_file is not None:
            self._rr = self.rr_file.open("a", encoding="utf-8")
        if self.profile is not None:
            self.publisher.profile(self.profile)
        link_stop = asyncio.Event()
        link = asyncio.create_task(self.publisher.run(link_stop), name="crampwatch-gateway-mqtt")
        try:
            sensors = asyncio.create_task(notifier.run(self.on_heart_rate, self.on_running, stop))
            stopped = asyncio.create_task(stop.wait())
            await asyncio.wait({sensors, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if sensors.done():
                sensors.result()  # a radio error surfaces here
            else:
                await sensors
            for frame in self.assembler.flush():
                self.publisher.frame(frame)
            if self._started is not None and self._last_t is not None:
                self.publisher.session(self._last_t, "stop")
            if not await self.publisher.drained(drain_s):
                log.warning("%d message(s) not sent: the broker did not come back in time", self.publisher.pending)
        finally:
            link_stop.set()
            if not link.done() and not self.publisher.connected.is_set():
                # a radio error at start-up came while the link was connecting: cancelled half-way through its
                # connect, aiomqtt left its loop task behind ("Task was destroyed but it is pending!")
                connected = asyncio.create_task(self.publisher.connected.wait())
                await asyncio.wait({link, connected}, timeout=2.0, return_when=asyncio.FIRST_COMPLETED)
                connected.cancel()
            link.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await link
            if self._rr is not None:
                self._rr.close()
