"""``crampwatch gateway ble --squad S --athlete A --broker URL``: a reference gateway for standard Bluetooth LE
sensors (heart-rate strap, running speed and cadence foot pod). Needs the optional extra ``crampwatch[ble]``.

``crampwatch gateway bridge --layout NAME|FILE --squad S --broker URL``: another app's MQTT topics (OwnTracks,
ESPHome, a layout file) republished as contract frames."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from monitor.commands.common import add_broker_flags, broker_from_args, install_stop_handlers, topics_from_args
from monitor.errors import UsageError

HELP = "bring sensors and other apps onto the broker (ble: strap + foot pod; bridge: OwnTracks, ESPHome…)"


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "gateway",
        help=HELP,
        description="Reference gateways for real sensors. 'gateway ble' reads a Bluetooth LE heart-rate strap "
        "(Heart Rate service) and foot pod (Running Speed and Cadence service), publishes contract frames "
        "(QoS 1, buffered while the broker is away, event time from this computer's clock) and shows the "
        "athlete's alerts. 'gateway bridge' republishes another app's MQTT topics (OwnTracks, ESPHome, a layout "
        "file) as contract frames. See docs/devices.md.",
    )
    kinds = p.add_subparsers(dest="gateway", required=True, parser_class=type(p))
    ble = kinds.add_parser(
        "ble",
        help="Bluetooth LE heart rate (0x180D) and running speed and cadence (0x1814)",
        description="Read a Bluetooth LE heart-rate strap and/or foot pod and publish one athlete's frames. "
        "Needs: pip install 'crampwatch[ble]'. Ctrl-C ends the session (a session stop is sent).",
    )
    add_broker_flags(ble)
    ble.add_argument("--squad", required=True, help="squad id")
    ble.add_argument("--athlete", required=True, help="athlete id")
    ble.add_argument("--hr-address", metavar="ADDR", help="the strap's address (default: the first one found)")
    ble.add_argument("--rsc-address", metavar="ADDR", help="the foot pod's address (default: the first found)")
    ble.add_argument("--no-hr", action="store_true", help="no heart-rate strap")
    ble.add_argument("--no-rsc", action="store_true", help="no foot pod")
    ble.add_argument("--cadence-x2", action="store_true", help="the pod reports strides/min: double it")
    ble.add_argument("--temp", type=float, metavar="C", help="air temperature to publish once a minute (°C)")
    ble.add_argument("--profile", metavar="FILE", help="athlete profile (TOML or JSON), published retained")
    ble.add_argument("--rr-file", metavar="FILE", help="append RR intervals (host time, seconds) as CSV")
    ble.add_argument("--scan-timeout", type=float, default=15.0, metavar="S", help="seconds per scan (15)")
    from monitor.commands.gateway_bridge import add_bridge_parser

    add_bridge_parser(kinds)


def run(args: argparse.Namespace) -> int:
    if args.gateway == "bridge":
        from monitor.commands.gateway_bridge import run_bridge

        return run_bridge(args)
    from monitor.commands.analyze import check_id, load_profile
    from monitor.core.wire import encode_profile
    from monitor.gateway.bleak_notifier import BleakNotifier

    broker = broker_from_args(args)
    topics = topics_from_args(args)
    squad, athlete = check_id("--squad", args.squad), check_id("--athlete", args.athlete)
    if args.no_hr and args.no_rsc:
        raise UsageError("--no-hr and --no-rsc together leave nothing to read")
    if args.temp is not None and not -30 <= args.temp <= 60:
        raise UsageError("--temp must be -30 to 60 °C")
    profile = encode_profile(load_profile(args.profile)) if args.profile else None
    notifier = BleakNotifier(
        hr_address=args.hr_address,
        rsc_address=args.rsc_address,
        heart_rate=not args.no_hr,
        running=not args.no_rsc,
        scan_timeout_s=args.scan_timeout,
    )
    from monitor.gateway.gateway import Gateway

    gateway = Gateway(
        broker,
        squad,
        athlete,
        topics=topics,
        out=sys.stdout,
        cadence_factor=2 if args.cadence_x2 else 1,
        temp=args.temp,
        profile=profile,
        rr_file=Path(args.rr_file) if args.rr_file else None,
    )
    print(f"gateway ble: {squad}/{athlete} → {broker}; alerts appear below; Ctrl-C to stop", flush=True)
    asyncio.run(_run(gateway, notifier))
    return 0


async def _run(gateway: Any, notifier: Any) -> None:
    stop = asyncio.Event()
    install_stop_handlers(stop.set)
    await gateway.run(notifier, stop)
