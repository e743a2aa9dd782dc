"""Real brokers for tests: Mosquitto (Debian package) and the embedded amqtt broker, each in its own process on a
free port, stoppable and restartable on the same port."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.embedded import free_port


def wait_port(port: int, *, up: bool = True, timeout: float = 10.0) -> None:
    """Wait until 127.0.0.1:port accepts (or refuses, with ``up=False``) connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.02)  # polling a socket until a deadline, not synchronising test logic
    raise TimeoutError(f"port {port} did not come {'up' if up else 'down'} within {timeout} s")


class BrokerProcess:
    kind = "broker"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> BrokerURL:
        return BrokerURL(host="127.0.0.1", port=self.port)

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        with open(self.workdir / f"{self.kind}-{self.port}.log", "ab") as log:
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_port(self.port)
        except TimeoutError:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            wait_port(self.port, up=False)

    def __repr__(self) -> str:
        return f"{self.kind}:{self.port}"


class Mosquitto(BrokerProcess):
    kind = "mosquitto"

    def __init__(self, workdir: Path, *, extra: str = "", anonymous: bool = True) -> None:
        super().__init__(workdir)
        self.extra = extra
        self.anonymous = anonymous

    @staticmethod
    def binary() -> str | None:
        return shutil.which("mosquitto") or next(
            (p for p in ("/usr/sbin/mosquitto", "/usr/bin/mosquitto") if Path(p).exists()), None
        )

    def command(self) -> list[str]:
        conf = self.workdir / f"mosquitto-{self.port}.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous {str(self.anonymous).lower()}\npersistence false\n"
            f"max_queued_messages 100000\nmax_inflight_messages 0\nuser {getpass.getuser()}\n{self.extra}"
        )
        binary = self.binary()
        assert binary is not None
        return [binary, "-c", str(conf)]


class Amqtt(BrokerProcess):
    kind = "amqtt"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "monitor.mqtt.embedded", "--port", str(self.port)]
