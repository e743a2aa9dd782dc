"""The real radio: a :class:`~monitor.gateway.gateway.Notifier` over `bleak` (optional extra
``crampwatch[ble]``; imported only when this module is used).

It finds a heart-rate strap (service 0x180D) and/or a running speed and cadence pod (service 0x1814) — by
address when given, otherwise the first device advertising the service — connects, subscribes to the
measurement characteristics and hands every notification to the gateway. A lost device is reconnected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from monitor.errors import CrampwatchError, UsageError
from monitor.gateway.ble_parse import HEART_RATE_MEASUREMENT, HEART_RATE_SERVICE, RSC_MEASUREMENT, RSC_SERVICE

log = logging.getLogger("crampwatch.gateway")

Callback = Callable[[bytes], None]


def import_bleak() -> Any:
    """The bleak module, or a one-line :class:`UsageError` telling how to install it."""
    try:
        import bleak
    except ImportError as exc:
        raise UsageError(
            "gateway ble needs the optional Bluetooth package: pip install 'crampwatch[ble]' (bleak)"
        ) from exc
    return bleak


class BleakNotifier:
    def __init__(
        self,
        *,
        hr_address: str | None = None,
        rsc_address: str | None = None,
        heart_rate: bool = True,
        running: bool = True,
        scan_timeout_s: float = 15.0,
    ) -> None:
        self.bleak = import_bleak()
        self.targets: list[tuple[str, str, str | None]] = []  # (service, characteristic, address)
        if heart_rate:
            self.targets.append((HEART_RATE_SERVICE, HEART_RATE_MEASUREMENT, hr_address))
        if running:
            self.targets.append((RSC_SERVICE, RSC_MEASUREMENT, rsc_address))
        self.scan_timeout_s = scan_timeout_s

    async def run(self, on_heart_rate: Callback, on_running: Callback, stop: asyncio.Event) -> None:
        callbacks = {HEART_RATE_MEASUREMENT: on_heart_rate, RSC_MEASUREMENT: on_running}
        tasks = [
            asyncio.create_task(self._device(service, char, address, callbacks[char], stop))
            for service, char, address in self.targets
        ]
        stopped = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait([stopped, *tasks], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopped and (exc := task.exception()) is not None:
                    # no Bluetooth stack at all (no D-Bus system bus, bluetoothd not running): the sensor task died
                    # and the gateway went on without a word, forever
                    raise CrampwatchError(
                        f"gateway ble: Bluetooth is not available ({type(exc).__name__}: {exc}); is BlueZ "
                        "(bluetoothd) running and an adapter present?"
                    ) from exc
        finally:
            for task in (stopped, *tasks):
                task.cancel()
            await asyncio.gather(stopped, *tasks, return_exceptions=True)

    async def _find(self, service: str, address: str | None) -> Any:
        scanner = self.bleak.BleakScanner
        if address:
            return await scanner.find_device_by_address(address, timeout=self.scan_timeout_s)
        return await scanner.find_device_by_filter(
            lambda device, adv: service in [u.lower() for u in adv.service_uuids], timeout=self.scan_timeout_s
        )

    async def _device(
        self, service: str, char: str, address: str | None, callback: Callback, stop: asyncio.Event
    ) -> None:
        name = "heart rate" if service == HEART_RATE_SERVICE else "running speed and cadence"
        while not stop.is_set():
            try:
                device = await self._find(service, address)
                if device is None:
                    log.warning("no %s sensor found%s; scanning again", name, f" at {address}" if address else "")
                    continue
                await self._session(device, char, callback, stop, name)
            except self.bleak.exc.BleakError as exc:
                log.warning("%s sensor: %s; retrying", name, exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 2.0)

    async def _session(self, device: Any, char: str, callback: Callback, stop: asyncio.Event, name: str) -> None:
        """One connection to ``device``: notifications until ``stop`` or a disconnect."""
        disconnected = asyncio.Event()
        async with self.bleak.BleakClient(device, disconnected_callback=lambda _c: disconnected.set()) as client:
            await client.start_notify(char, lambda _h, data: callback(bytes(data)))
            log.info("%s sensor %s connected", name, getattr(device, "name", None) or device.address)
            waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(disconnected.wait())]
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()
            if not stop.is_set():
                log.warning("%s sensor disconnected; reconnecting", name)
