"""The coach's view across workers: statuses and alerts read back from the broker over MQTT.

A shard worker computes only its shards' athletes, so its dashboard does not feed on its own output: it
subscribes, like ``crampwatch watch``, to ``{prefix}/+/+/status``, ``alert`` and ``ack`` on the broker (RabbitMQ's
MQTT plugin, where every worker's statuses arrive through ``amq.topic``) and shows the whole field.
"""

from __future__ import annotations

import asyncio
import io

from monitor.coach.live import LiveView
from monitor.commands.watch import Watcher
from monitor.core.wire import Topics
from monitor.mqtt.broker import BrokerURL


class BrokerView:
    """Feeds ``view`` from ``broker`` until :meth:`close` (reconnects by itself)."""

    def __init__(self, broker: BrokerURL, topics: Topics, view: LiveView | None = None) -> None:
        self.view = view or LiveView()
        self._watcher = Watcher(broker, topics, out=io.StringIO())
        self._watcher.view = self.view
        self._task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> asyncio.Event:
        return self._watcher.connected

    async def __aenter__(self) -> BrokerView:
        self._task = asyncio.create_task(self._watcher._listen(), name="crampwatch-broker-view")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        self._watcher.stop.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
