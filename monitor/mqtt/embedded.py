"""The embedded broker (amqtt) for the zero-install demo: ``python -m monitor.mqtt.embedded --port N`` or in-process."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import socket

from amqtt.broker import Broker

from monitor.mqtt.broker import BrokerURL


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class EmbeddedBroker:
    """An amqtt broker on 127.0.0.1 (anonymous, no persistence). ``async with EmbeddedBroker() as url: ...``"""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._broker: Broker | None = None

    @property
    def url(self) -> BrokerURL:
        return BrokerURL(host=self.host, port=self.port)

    async def start(self) -> BrokerURL:
        for name in ("amqtt", "transitions"):
            logger = logging.getLogger(name)
            if logger.level < logging.WARNING:  # quieten, but never undo a stricter level the CLI set
                logger.setLevel(logging.WARNING)
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}", "max_connections": 0}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        self._broker = Broker(config)
        await self._broker.start()
        return self.url

    async def stop(self) -> None:
        if self._broker is not None:
            with contextlib.suppress(Exception):
                await self._broker.shutdown()
            self._broker = None

    async def __aenter__(self) -> BrokerURL:
        try:
            return await self.start()
        except BaseException:  # e.g. cancelled while starting (a stop during the demo's start-up): no half broker
            await self.stop()
            raise

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def _serve(port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with EmbeddedBroker(port=port):
        print(f"ready {port}", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the embedded amqtt broker on 127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    asyncio.run(_serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
