"""The ``monitor`` command's start-up checks: the flags, ``CRAMPWATCH_*`` environment and ``--config`` file merged
into the settings, and every check made on them before anything starts (no broker connection, no port bound, no
store opened), so that a bad value is one line on stderr and exit code 2. ``crampwatch config --check`` makes the
same checks (:func:`check_settings`)."""

from __future__ import annotations

import argparse
import os
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from monitor.commands.common import broker_from_args, given_as, host_port, topics_from_args
from monitor.core.profiles import ProfileBook
from monitor.errors import UsageError
from monitor.mqtt.discovery import check_prefix
from monitor.redact import redact_url

if TYPE_CHECKING:
    from monitor.store.base import SessionStore

#: --amqp defaults: shard queues, seconds between checkpoints
DEFAULT_SHARDS = 8
DEFAULT_CHECKPOINT_S = 5.0


#: Settings (monitor.config) and the argparse destination of their flag.
FLAGS = {
    "broker": "broker",
    "prefix": "prefix",
    "ca_file": "ca_file",
    "cert_file": "cert_file",
    "key_file": "key_file",
    "client_id": "client_id",
    "profiles": "profiles",
    "http": "http",
    "http_token": "http_token",
    "http_allow_hosts": "http_allow_host",
    "store": "store",
    "webhook": "webhook",
    "log_level": "log_level",
    "log_format": "log_format",
    "publish": "publish",
    "ha_discovery": "ha_discovery",
}


def apply_settings(args: argparse.Namespace) -> None:
    """Merge flags, ``CRAMPWATCH_*`` environment and ``--config`` file (monitor.config) into ``args``."""
    from monitor.config import load

    flags = {name: getattr(args, dest, None) for name, dest in FLAGS.items()}
    if isinstance(flags["http"], tuple):
        flags["http"] = f"{flags['http'][0]}:{flags['http'][1]}"
    settings = load(flags, args.config)
    args.origins = _origins(settings, flags, args.config)
    for name, dest in FLAGS.items():
        value = getattr(settings, name)
        if name == "http_token":
            value = value.get_secret_value() if value is not None else None
        elif name == "http" and value is not None:
            try:
                value = host_port(value)
            except argparse.ArgumentTypeError as exc:
                raise UsageError(f"{given_as(args, 'http', value)}: {exc}") from None
        setattr(args, dest, value)
    args.store_origin = _store_origin(args.origins["store"], args.config)


def _origins(settings: Any, flags: dict[str, Any], config_file: str | None) -> dict[str, str]:
    """Where each setting came from: ``flag``, ``env``, ``file`` or ``default`` (monitor.config.sources)."""
    from monitor.config import read_toml, sources

    file_values = read_toml(config_file) if config_file else {}
    return sources(settings, flags, os.environ, file_values)


def _store_origin(origin: str, config_file: str | None) -> str:
    """The store's origin in the store's own terms (monitor.store.base), so that its messages name what the user
    gave: the flag, ``CRAMPWATCH_STORE`` or the ``--config`` file."""
    from monitor.store.base import ENV, FLAG, file_origin

    if origin == "env":
        return ENV
    return file_origin(config_file) if origin == "file" else FLAG


def make_session_store(args: argparse.Namespace) -> SessionStore | None:
    """``--store``: absent → the default SQLite file; ``none`` → no store; ``*.jsonl`` → a sink, not a store."""
    from monitor.store import DISABLED, make_store
    from monitor.store.base import FLAG

    spec = args.store
    if spec is not None and (spec.lower() in DISABLED or spec.endswith(".jsonl")):
        return None
    if spec is None:
        from monitor.store.base import DEFAULT
        from monitor.store.sqlite import default_store_path

        return make_store(default_store_path(), origin=DEFAULT)
    return make_store(spec, origin=getattr(args, "store_origin", FLAG))


def check_settings(args: argparse.Namespace) -> None:
    """The checks ``monitor`` makes before it starts, without starting anything; ``config --check`` makes them
    too, so a file it passes does not stop the monitor with "bad value" (an unset broker is left to the run)."""
    if args.broker or os.environ.get("CRAMPWATCH_BROKER"):
        broker_from_args(args)
    topics_from_args(args)
    check_webhooks(args)
    check_discovery(args)
    if args.profiles:
        ProfileBook.load(args.profiles)
    if args.store is not None:
        make_session_store(args)  # a store URL of another kind (mysql://...); nothing is opened


def check_port(host: str, port: int) -> None:
    """Bind the dashboard's address once before anything starts. Found by the port in use only once the monitor
    was connecting, the stop cancelled aiomqtt's connect half-way: asyncio's "Task was destroyed but it is
    pending!" and a paho traceback followed the error line. Port 0 (any free port) is probed too: its host was
    not, and ``--http nosuchhost:0`` or ``--http [::1]:0`` failed late, with those tracebacks, or hung."""
    try:
        for family, kind, proto, _, address in socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM):
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds (TIME_WAIT is fine)
                if family == socket.AF_INET6:
                    probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                probe.bind(address)
    except OSError as exc:
        raise UsageError(f"cannot serve HTTP on {host}:{port}: {exc.strerror or exc}") from exc


def check_discovery(args: argparse.Namespace) -> None:
    if args.ha_discovery is not None:
        try:
            check_prefix(args.ha_discovery)
        except ValueError as exc:
            raise UsageError(f"{given_as(args, 'ha_discovery', repr(args.ha_discovery))}: {exc}") from None


def check_webhooks(args: argparse.Namespace) -> None:
    """An http(s) URL with a host and a valid port: 'https://' or a port of 99999 passed, and every alert then
    failed to be delivered (one warning per alert, found only once alerts were lost)."""
    for url in args.webhook or []:
        why = "expected an http:// or https:// URL"
        try:
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") and parts.hostname:
                why = "bad port" if parts.port == 0 else ""
            elif parts.scheme in ("http", "https"):
                why += " with a host"
        except ValueError as exc:  # a stray bracket, a port out of range or not a number
            why = "bad port" if "port" in str(exc).lower() else why
        if why:
            raise UsageError(f"{given_as(args, 'webhook', repr(redact_url(url)))}: {why}")


def check_mqtt_settings(args: argparse.Namespace) -> None:
    """The flags of the RabbitMQ scale-out alone were ignored: a monitor "with" 3 shards that was one process on
    MQTT."""
    amqp_only = [f for f, v in (("--shards", args.shards), ("--checkpoint", args.checkpoint),
                                ("--worker-id", args.worker_id)) if v is not None]  # fmt: skip
    if amqp_only:
        raise UsageError(f"{', '.join(amqp_only)}: only with --amqp URL (scale-out; docs/scale-out.md)")


def check_amqp_settings(args: argparse.Namespace) -> None:
    """``--amqp URL``: the extra installed, the URL, the shard and checkpoint flags (defaults filled in) and the
    settings a worker needs or does not support yet."""
    import importlib.util

    if importlib.util.find_spec("aio_pika") is None:  # the optional extra, as report and gateway ble say theirs
        raise UsageError("crampwatch monitor --amqp needs aio-pika: pip install 'crampwatch[scale]'")
    from monitor.amqp.topology import MAX_SHARDS
    from monitor.amqp.url import check_amqp_url
    from monitor.store import DISABLED

    check_amqp_url(args.amqp)
    args.shards = DEFAULT_SHARDS if args.shards is None else args.shards
    args.checkpoint = DEFAULT_CHECKPOINT_S if args.checkpoint is None else args.checkpoint
    if not 1 <= args.shards <= MAX_SHARDS:
        raise UsageError(f"--shards must be 1-{MAX_SHARDS}")
    if not 0.1 <= args.checkpoint <= 3600:
        raise UsageError("--checkpoint must be 0.1-3600 seconds")
    if args.store is None:  # a worker without the shared state would restart the runners of every shard it took
        raise UsageError("--amqp needs --store postgresql://... (the workers' shared state; --store none: no failover)")
    if args.store not in DISABLED and not args.store.startswith(("postgresql:", "postgres:")):
        raise UsageError("--store with --amqp must be a postgresql:// URL (the workers' shared state)")
    if args.webhook:
        raise UsageError("--webhook is not supported with --amqp yet (alerts reach subscribers through the broker)")
    if args.ha_discovery is not None:
        raise UsageError("--ha-discovery is not supported with --amqp yet (run it on an MQTT monitor)")
    if args.http and not args.broker:
        raise UsageError("--http with --amqp needs --broker mqtt://... (the dashboard reads the broker)")
