"""The lifecycle both services share (the MQTT :class:`~monitor.mqtt.service.Monitor` and the RabbitMQ
:class:`~monitor.amqp.worker.ShardWorker`): an async context manager that serves until :meth:`stop`."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self


class Service:
    """Subclasses set ``self._stopping = asyncio.Event()`` and implement ``__aenter__`` and :meth:`close`."""

    _stopping: asyncio.Event

    async def __aenter__(self) -> Self:  # pragma: no cover - every subclass starts its own tasks
        raise NotImplementedError

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:  # pragma: no cover - every subclass drains its own way
        raise NotImplementedError

    def stop(self) -> None:
        """Ask the service to stop (safe from a signal handler)."""
        self._stopping.set()

    async def wait_stopped(self) -> None:
        """Wait until :meth:`stop` is called."""
        await self._stopping.wait()

    async def run(self) -> None:
        """Serve until :meth:`stop` is called (e.g. on SIGINT/SIGTERM)."""
        async with self:
            await self._stopping.wait()
