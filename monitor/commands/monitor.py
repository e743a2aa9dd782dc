"""``crampwatch monitor --broker URL [--profiles FILE] [--http HOST:PORT] [--webhook URL]``: the service."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from monitor.commands._monitor_checks import (  # the start-up checks: flags, environment, --config file
    apply_settings,
    check_amqp_settings,
    check_discovery,
    check_mqtt_settings,
    check_port,
    check_webhooks,
    make_session_store,
)
from monitor.commands.common import (
    add_broker_flags,
    broker_from_args,
    host_port,
    install_stop_handlers,
    setup_logging,
    topics_from_args,
)
from monitor.core.profiles import ProfileBook
from monitor.mqtt.discovery import DEFAULT_DISCOVERY_PREFIX

if TYPE_CHECKING:  # the service (SciPy, aiomqtt) loads only when the command runs: fast --help / usage errors
    from alerts.sinks.base import Sink
    from monitor.http.security import HttpSecurity
    from monitor.mqtt.service import Monitor  # noqa: F401
    from monitor.store.base import SessionStore

log = logging.getLogger("crampwatch")


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "monitor",
        help="run the monitoring service on a broker",
        description="The service: subscribe to every athlete's streams on the broker, compute statuses and "
        "alerts on event time and publish them; optionally serve the coach dashboard, /healthz and /metrics "
        "(--http). Keeps reconnecting while the broker is away.",
    )
    add_broker_flags(p)
    p.add_argument(
        "--amqp", metavar="URL", help="scale-out: consume shard queues on RabbitMQ (amqp://...); see docs/scale-out.md"
    )
    p.add_argument("--shards", type=int, help="number of shard queues with --amqp (default 8)")
    p.add_argument("--worker-id", help="this worker's id in statuses with --amqp (default: host-pid-random)")
    p.add_argument(
        "--checkpoint",
        type=float,
        metavar="S",
        help="with --amqp: seconds between checkpoints (state saved, messages acknowledged; default 5)",
    )
    p.add_argument("--profiles", help="athlete profiles file (TOML or JSON)")
    p.add_argument("--http", type=host_port, metavar="HOST:PORT", help="serve the coach dashboard and JSON API")
    p.add_argument(
        "--store",
        metavar="PATH",
        help="session store: a SQLite file (default: sessions.db in the user data dir; sessions survive a restart), "
        "postgresql://... (with --amqp: the workers' shared state and session history), a .jsonl file (JSON lines, "
        "no recovery) or 'none'",
    )
    p.add_argument("--webhook", action="append", metavar="URL", help="POST every alert (repeatable)")
    p.add_argument(
        "--http-token",
        metavar="TOKEN",
        help="require this token (Authorization: Bearer) for coach actions on the dashboard "
        "(env CRAMPWATCH_HTTP_TOKEN)",
    )
    p.add_argument(
        "--http-allow-host",
        action="append",
        metavar="NAME",
        help="also accept this Host name on the dashboard (repeatable; env CRAMPWATCH_HTTP_ALLOW_HOSTS, "
        "comma-separated; localhost names, IP addresses and the bound host are always accepted)",
    )
    p.add_argument(
        "--client-id",
        help="MQTT client id of the persistent session (default: crampwatch-monitor-<host>; one per monitor)",
    )
    p.add_argument("--log-level", choices=["debug", "info", "warning", "error"], help="default info")
    p.add_argument("--log-format", choices=["text", "json"], help="text (default, readable) or json (one per line)")
    p.add_argument(
        "--publish",
        choices=["direct", "awaited"],
        help="how messages leave: direct (default: handed to the MQTT client and written at once; alerts do not "
        "hold later statuses until their PUBACK) or awaited (one awaited publish per message, slower under a backlog)",
    )
    p.add_argument(
        "--ha-discovery",
        nargs="?",
        const=DEFAULT_DISCOVERY_PREFIX,
        metavar="PREFIX",
        help="announce every runner to Home Assistant by MQTT discovery (retained configs under PREFIX, default "
        f"{DEFAULT_DISCOVERY_PREFIX}; entities read the status and alert topics; docs/operations.md)",
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help="TOML file with any of these settings but the --amqp ones, which are flags only (flags > "
        "CRAMPWATCH_* environment > file > defaults; check it with: crampwatch config --check FILE)",
    )


def make_sinks(args: argparse.Namespace) -> list[Sink]:
    sinks: list[Sink] = []
    if args.webhook:
        from alerts.sinks import make_sink

        check_webhooks(args)
        for url in args.webhook:
            sinks.append(make_sink(f"webhook:{url}"))
    if args.store is not None and args.store.endswith(".jsonl"):
        from monitor.store.base import FLAG
        from monitor.store.jsonl import JsonlStore

        sinks.append(JsonlStore(args.store, origin=getattr(args, "store_origin", FLAG)))
    return sinks


def counts_text(counters: Mapping[str, int]) -> str:
    """The last line of a monitor's log, in words (it was a Python dict: "stopped: {'messages': 30, ...}").

    >>> counts_text({"messages": 30, "profiles": 2, "late": 1}), counts_text({})
    ('30 messages, 2 profiles, 1 late', 'nothing received')
    """
    return ", ".join(f"{n} {what}" for what, n in counters.items()) or "nothing received"


def store_description(args: argparse.Namespace, store: SessionStore | None) -> str:
    """The store as the start-up line names it. A ``.jsonl`` recording is no session store, but it is not nothing
    either: the line said "store none" while the monitor wrote every status and alert to the file (audit6).

    >>> import argparse
    >>> store_description(argparse.Namespace(store="run.jsonl"), None)
    'none (recording to run.jsonl: no recovery, not read by sessions/report)'
    """
    if store is not None:
        return store.description
    if args.store is not None and args.store.endswith(".jsonl"):
        return f"none (recording to {args.store}: no recovery, not read by sessions/report)"
    return "none"


def _security(args: argparse.Namespace) -> HttpSecurity:
    from monitor.http.security import HttpSecurity

    host = args.http[0]
    if not args.http_token and host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("dashboard on %s without --http-token: anyone who can reach it can acknowledge alerts", host or "*")
    return HttpSecurity.default(host, token=args.http_token, extra_hosts=args.http_allow_host)


def run(args: argparse.Namespace) -> int:
    apply_settings(args)
    if args.amqp:
        return run_amqp(args)
    check_mqtt_settings(args)
    broker = broker_from_args(args)
    topics = topics_from_args(args)
    profiles = ProfileBook.load(args.profiles) if args.profiles else ProfileBook()
    check_discovery(args)
    sinks = make_sinks(args)
    store = make_session_store(args)
    if args.http:
        check_port(*args.http)
    setup_logging(args.log_level, args.log_format)
    from monitor.mqtt.loop import run as run_loop

    run_loop(_serve(broker, topics.prefix, profiles, sinks, store, args))
    return 0


async def _serve(
    broker: Any,
    prefix: str,
    profiles: ProfileBook,
    sinks: list[Sink],
    store: SessionStore | None,
    args: argparse.Namespace,
) -> None:
    view = None
    if args.http:
        from monitor.coach.live import LiveView

        view = LiveView()
        sinks = [*sinks, view]
    from monitor.mqtt.broker import default_client_id
    from monitor.mqtt.service import Monitor

    client_id = args.client_id or default_client_id()
    monitor = Monitor(  # exclusive: a prefix another monitor serves is refused (monitor/mqtt/presence.py)
        broker, prefix=prefix, profiles=profiles, sinks=sinks, identifier=client_id, store=store,
        direct_publish=args.publish == "direct", ha_discovery=args.ha_discovery, exclusive=True,
    )  # fmt: skip
    from monitor.logs import RejectLog

    monitor.observers.append(RejectLog())  # bad input: one line per topic and reason per minute
    install_stop_handlers(monitor.stop)
    async with monitor:  # the store opens here and the port is bound below: either failing is the only line
        server = None
        if args.http and view is not None:
            from monitor.http import serve

            server = await serve(
                view, args.http[0], args.http[1], ack=monitor.publish_ack, monitor=monitor, security=_security(args)
            )
        log.info("crampwatch monitor on %s (prefix %s, %d file profiles, store %s)",
                 broker, prefix, len(profiles), store_description(args, store))  # fmt: skip
        if server is not None:
            log.info("dashboard at %s", server.url)
        try:
            await monitor.wait_stopped()
        finally:
            if server is not None:
                await server.close()
    if monitor.conflict is not None:
        raise monitor.conflict
    log.info("stopped: %s", counts_text(monitor.router.counters))


def run_amqp(args: argparse.Namespace) -> int:
    """``--amqp URL --shards N --store postgresql://... [--broker mqtt://... --http HOST:PORT]``."""
    check_amqp_settings(args)
    broker = broker_from_args(args) if args.broker else None
    topics = topics_from_args(args)
    profiles = ProfileBook.load(args.profiles) if args.profiles else ProfileBook()
    setup_logging(args.log_level, args.log_format)
    asyncio.run(_serve_amqp(args, broker, topics, profiles))
    return 0


async def _serve_amqp(args: argparse.Namespace, broker: Any, topics: Any, profiles: ProfileBook) -> None:
    from monitor.amqp.url import redact_amqp
    from monitor.amqp.worker import ShardWorker
    from monitor.store import DISABLED, make_store

    store = history = None
    if args.store not in DISABLED:
        from monitor.amqp.history import SharedHistory
        from monitor.store.postgres import PostgresShardStore

        store = PostgresShardStore(args.store)
        history = SharedHistory(args.store)  # the coach's session history, written by every worker
    worker = ShardWorker(
        args.amqp,
        shards=args.shards,
        store=store,
        history=history,
        prefix=topics.prefix,
        profiles=profiles,
        worker_id=args.worker_id,
        checkpoint_s=args.checkpoint,
    )
    install_stop_handlers(worker.stop)
    log.info("crampwatch worker %s on %s (%d shards)", worker.worker_id, redact_amqp(args.amqp), args.shards)
    if store is None:
        log.warning("--store none: no shared state, no failover; never run this worker beside others")
    async with worker:
        server = feed = sessions = None
        if args.http and broker is not None:
            from monitor.amqp.view import BrokerView
            from monitor.http import serve

            feed = BrokerView(broker, topics)
            await feed.__aenter__()
            if history is not None:  # the dashboard's history pages: the workers' session history, read only
                sessions = make_store(args.store, read_only=True)
                await sessions.open()
            server = await serve(feed.view, args.http[0], args.http[1], ack=worker.publish_ack, store=sessions)
            log.info("dashboard (whole field, read from %s) at %s", broker, server.url)
        try:
            await worker.wait_stopped()
        finally:
            if server is not None:
                await server.close()
            if feed is not None:
                await feed.close()
            if sessions is not None:
                await sessions.close()
    log.info("stopped: %s", counts_text(worker.counters))
