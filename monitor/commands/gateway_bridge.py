"""``crampwatch gateway bridge --layout NAME|FILE --squad S --broker URL``: another app's MQTT topics (OwnTracks,
ESPHome, a layout file) republished as contract frames (``docs/devices.md``, "gateway bridge")."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from monitor.commands.common import add_broker_flags, broker_from_args, install_stop_handlers, topics_from_args
from monitor.errors import UsageError

BUILTIN_NAMES = ("owntracks", "esphome")  # monitor.gateway.layouts.BUILTIN, named here to keep --help light


def add_bridge_parser(kinds: Any) -> None:
    bridge: argparse.ArgumentParser = kinds.add_parser(
        "bridge",
        help="another app's MQTT topics (OwnTracks, ESPHome, a layout file) as contract frames",
        description="Subscribe to another app's MQTT topics and republish them as contract frames (QoS 1, "
        "buffered while the broker is away), so the monitor reads only the contract. Layouts: 'owntracks' "
        "(owntracks/{user}/{device}, _type location: vel km/h -> pace, tst -> event time), 'esphome' "
        "({athlete}/sensor/heart_rate|speed|cadence|temperature/state, plain numbers, event time = arrival time "
        "at the bridge), or a TOML layout file (docs/devices.md). Values outside the contract's ranges and "
        "payloads that cannot be read are counted and reported on {prefix}/_bridge/rejected, never forwarded. "
        "Ctrl-C stops it (no session stop is sent: the monitor ends a session after 10 min without data).",
        epilog="Example, next to 'crampwatch monitor --broker mqtt://broker.lan': crampwatch gateway bridge "
        "--layout owntracks --squad club --broker mqtt://broker.lan. Start a file of your own from "
        "'--layout owntracks --print-layout'.",
    )
    add_broker_flags(bridge)
    bridge.add_argument(
        "--layout", metavar="NAME|FILE", help=f"built-in layout ({', '.join(BUILTIN_NAMES)}) or a TOML layout file"
    )
    bridge.add_argument("--squad", help="squad id of the athletes (needed unless the layout's topics carry {squad})")
    bridge.add_argument(
        "--print-layout",
        action="store_true",
        help="print the layout as TOML (a starting point for a layout file) and exit",
    )


def run_bridge(args: argparse.Namespace) -> int:
    from monitor.core.topics import check_id
    from monitor.gateway.layout import LayoutError
    from monitor.gateway.layouts import layout_text, load_layout

    if not args.layout:
        raise UsageError(f"gateway bridge needs --layout ({', '.join(BUILTIN_NAMES)} or a TOML file)")
    try:
        layout = load_layout(args.layout)
    except LayoutError as exc:
        raise UsageError(str(exc)) from None
    if args.print_layout:
        print(layout_text(args.layout)[1], end="")
        return 0
    if args.squad is not None:
        try:
            check_id(args.squad)
        except ValueError as exc:
            raise UsageError(f"--squad: {exc}") from None
        if not layout.needs_squad:
            raise UsageError(f"--squad: the topics of layout {layout.name} carry the squad ({{squad}}); leave it out")
    elif layout.needs_squad:
        raise UsageError(f"gateway bridge --layout {args.layout} needs --squad (its topics do not carry the squad)")
    broker = broker_from_args(args)
    topics = topics_from_args(args)
    asyncio.run(_run(broker, layout, args.squad, topics))
    return 0


async def _run(broker: Any, layout: Any, squad: str | None, topics: Any) -> None:
    from monitor.gateway.bridge import Bridge

    def banner() -> None:
        where = f"squad {squad}" if squad else "squad from the topic"
        print(
            f"gateway bridge: {layout.name} ({' '.join(layout.subscriptions)}) → {broker} as {where}; rejected input "
            f"on {bridge.rejected_topic}; Ctrl-C to stop",
            flush=True,
        )

    bridge = Bridge(broker, layout, squad, topics=topics, on_subscribed=banner)
    stop = asyncio.Event()
    install_stop_handlers(stop.set)
    await bridge.run(stop)
    print(f"gateway bridge: {bridge.summary()}", flush=True)
