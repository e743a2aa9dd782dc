"""A TCP proxy between a client and a real broker that a test can steer: hold the broker → client direction (the
bytes wait in the proxy, e.g. the PUBACKs of a publisher), cut the connections, and hold new connections until
let through (the broker is "away" for that client). Nothing of MQTT is parsed or faked: the bytes are the
broker's own."""

from __future__ import annotations

import asyncio
import contextlib

from monitor.mqtt.broker import BrokerURL


class _Pipe:
    """One proxied connection: client ↔ broker."""

    def __init__(self, proxy: TcpProxy, client: asyncio.StreamWriter) -> None:
        self.proxy = proxy
        self.client = client
        self.broker: asyncio.StreamWriter | None = None
        self.tasks: list[asyncio.Task[None]] = []

    async def run(self, reader: asyncio.StreamReader) -> None:
        up_reader, self.broker = await asyncio.open_connection("127.0.0.1", self.proxy.port)
        self.tasks = [
            asyncio.create_task(self._copy(reader, self.broker, None)),
            asyncio.create_task(self._copy(up_reader, self.client, self.proxy.down)),
        ]
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _copy(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, gate: asyncio.Event | None) -> None:
        try:
            while data := await src.read(65536):
                if gate is not None:
                    await gate.wait()  # held: what the broker sent waits here, in order
                dst.write(data)
                await dst.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.close()

    def close(self) -> None:
        for writer in (self.client, self.broker):
            if writer is not None:
                writer.close()
        for task in self.tasks:
            if task is not asyncio.current_task():
                task.cancel()


class TcpProxy:
    """``async with TcpProxy(broker_port) as proxy``: clients connect to :attr:`url`."""

    def __init__(self, port: int) -> None:
        self.port = port  # the broker's
        self.down = asyncio.Event()  # set: broker → client flows
        self.down.set()
        self.open = asyncio.Event()  # set: new connections go through to the broker
        self.open.set()
        self.attempt = asyncio.Event()  # set when a client connects (cleared by the test)
        self.pipes: list[_Pipe] = []
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> BrokerURL:
        assert self._server is not None
        return BrokerURL(host="127.0.0.1", port=self._server.sockets[0].getsockname()[1])

    async def __aenter__(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        self.down.set()
        self.open.set()
        for pipe in self.pipes:
            pipe.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 5)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        pipe = _Pipe(self, writer)
        self.pipes.append(pipe)
        self.attempt.set()
        try:
            await self.open.wait()
            await pipe.run(reader)
        except (ConnectionError, OSError):
            pipe.close()
        finally:
            self._handlers.discard(task)

    def hold(self) -> None:
        """Hold what the broker sends (PUBACKs, PINGRESPs, messages) in the proxy, in order."""
        self.down.clear()

    def release(self) -> None:
        self.down.set()

    def cut(self, *, reopen: bool = True) -> None:
        """Close every connection (the held bytes are lost with it). ``reopen=False``: hold new connections
        (accepted, not connected to the broker) until :meth:`let_through`."""
        if not reopen:
            self.open.clear()
        self.attempt.clear()
        for pipe in self.pipes:
            pipe.close()
        self.pipes.clear()
        self.down.set()

    def let_through(self) -> None:
        self.open.set()
