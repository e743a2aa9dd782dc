"""The lifecycle both services share (the MQTT :class:`~monitor.mqtt.service.Monitor` and the RabbitMQ
:class:`~monitor.amqp.worker.ShardWorker`): an async context manager that serves until :meth:`stop`; and the
MQTT monitor's hint for a connection that lasted seconds (:func:`taken_over_hint`)."""

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


#: A connection lost sooner than this after it was made is named as a possible client-id clash in the log.
TAKEN_OVER_HINT_S = 5.0


def taken_over_hint(identifier: str | None, lasted_s: float) -> str:
    """Two monitors with one client id take the session from each other a few times a second, and the broker
    gives no reason ("[code:128] Unspecified error"): a connection lost within seconds says what it may be.

    >>> taken_over_hint("cw-host", 0.25)[:59]
    " (after 0.2 s: is another client using client id 'cw-host'?"
    >>> taken_over_hint("cw-host", 60.0), taken_over_hint(None, 0.25)
    ('', '')
    """
    if identifier is None or lasted_s >= TAKEN_OVER_HINT_S:
        return ""
    return (
        f" (after {lasted_s:.1f} s: is another client using client id {identifier!r}? Two monitors with one id"
        " take the session from each other: --client-id)"
    )
