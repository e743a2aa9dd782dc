"""A private RabbitMQ node for tests: Debian's rabbitmq-server on free ports, in a temporary directory.

Never the system node (5672) nor Mosquitto (1883): the AMQP port, the Erlang distribution port and the MQTT
listener are all free ports; the node name is unique; its database, logs, plugins file, config and Erlang cookie
(``HOME``) live under the given directory. The management plugin stays off (it would take port 15672).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

from monitor.mqtt.broker import BrokerURL
from monitor.mqtt.embedded import free_port
from tests.brokers import wait_port

SERVER_CANDIDATES = ("/usr/lib/rabbitmq/bin/rabbitmq-server",)
PLUGINS = ("rabbitmq_mqtt",)


def server_binary() -> str | None:
    """The real start script (Debian's /usr/sbin wrapper would ``su`` to the rabbitmq user)."""
    for path in SERVER_CANDIDATES:
        if Path(path).exists():
            return path
    return None


class RabbitNode:
    """``start()`` waits until AMQP and MQTT listeners accept connections; ``stop()`` ends the node."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.name = f"crampwatch-{uuid.uuid4().hex[:10]}@localhost"
        self.amqp_port = free_port()
        self.mqtt_port = free_port()
        self.dist_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    @property
    def mqtt_url(self) -> BrokerURL:
        return BrokerURL(host="127.0.0.1", port=self.mqtt_port, username="guest", password="guest")

    def env(self) -> dict[str, str]:
        base = self.workdir
        (base / "home").mkdir(parents=True, exist_ok=True)
        (base / "home" / ".erlang.cookie").write_text(uuid.uuid4().hex)
        (base / "home" / ".erlang.cookie").chmod(0o400)
        (base / "enabled_plugins").write_text("[" + ",".join(PLUGINS) + "].\n")
        (base / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.amqp_port}\n"
            f"mqtt.listeners.tcp.default = 127.0.0.1:{self.mqtt_port}\n"
            "mqtt.allow_anonymous = true\n"
            "mqtt.default_user = guest\nmqtt.default_pass = guest\n"
            "loopback_users = none\n"
            "log.console = false\nlog.file.level = warning\n"
        )
        (base / "rabbitmq-env.conf").write_text("")  # not Debian's /etc/rabbitmq/rabbitmq-env.conf
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update(
            HOME=str(base / "home"),
            RABBITMQ_NODENAME=self.name,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.amqp_port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(base / "mnesia"),
            RABBITMQ_LOG_BASE=str(base / "log"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(base / "enabled_plugins"),
            RABBITMQ_CONFIG_FILE=str(base / "rabbitmq.conf"),
            RABBITMQ_CONF_ENV_FILE=str(base / "rabbitmq-env.conf"),
            RABBITMQ_PID_FILE=str(base / "rabbit.pid"),
            ERL_EPMD_ADDRESS="127.0.0.1",
        )
        return env

    def start(self, timeout: float = 60.0) -> None:
        binary = server_binary()
        assert binary is not None
        with open(self.workdir / "rabbitmq-stdout.log", "ab") as log:
            self.proc = subprocess.Popen(
                [binary], env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        try:
            for port in (self.amqp_port, self.mqtt_port):
                if self.proc.poll() is not None:
                    raise RuntimeError(f"rabbitmq-server exited with {self.proc.returncode}: {self.log_tail()}")
                wait_port(port, timeout=max(0.1, deadline - time.monotonic()))
        except (TimeoutError, RuntimeError):
            self.stop()
            raise

    def log_tail(self) -> str:
        path = self.workdir / "rabbitmq-stdout.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        # the Erlang VM may outlive the start script briefly; its ports must be free for the next node
        wait_port(self.amqp_port, up=False, timeout=30)

    def cleanup(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)
