"""``crampwatch demo``: embedded broker, a simulated squad, the monitor and the coach dashboard, all in one
process. Prints the dashboard URL, a squad table now and then, and every alert as it happens."""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from monitor.commands.common import (
    cancel_and_wait,
    host_port,
    install_stop_handlers,
    plural,
    positive_float,
    setup_logging,
)
from monitor.errors import UsageError

if TYPE_CHECKING:  # the service, broker and simulator load only when the command runs: fast --help / usage errors
    from monitor.mqtt.service import Monitor


#: The embedded broker (amqtt) gives a subscriber 5 s to acknowledge a message, then drops it with a logged
#: traceback. A monitor slowed down (a busy laptop, a high --speed) fell that far behind the simulated squad, which
#: was published regardless of it: hundreds of "Timeout waiting for PUBACK" tracebacks, the frames they carried lost.
#: So the squad is published at most this many messages ahead of what the monitor's statuses show handled (as
#: ``simulate --speed 0`` paces itself): a few seconds' work for a slowed monitor, under amqtt's limit.
DEMO_WINDOW = 200
#: A monitor that shows no progress this long stops the squad (the demo itself stays up).
DEMO_SILENT_S = 120.0


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help="embedded broker + simulated squad + monitor + dashboard",
        description="Everything in one process, nothing to install: an embedded MQTT broker on 127.0.0.1, a "
        "simulated squad, the monitor and the coach dashboard. Prints the dashboard URL, a squad table now and "
        "then and every alert; Ctrl-C (or --duration) stops it cleanly.",
    )
    p.add_argument("--duration", type=positive_float, metavar="S", help="stop by itself after S seconds")
    p.add_argument("--speed", type=positive_float, default=120.0, help="event time per wall second (default x120)")
    p.add_argument("--scenario", default="squad", help="built-in scenario name or TOML file (default squad)")
    p.add_argument("--athletes", type=int, help="number of runners (default: the scenario's, 8 for squad)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--http", type=host_port, default=("127.0.0.1", 0), metavar="HOST:PORT", help="dashboard address")
    p.add_argument("--table-every", type=positive_float, default=10.0, metavar="S", help="squad table period (s)")
    p.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])


def run(args: argparse.Namespace) -> int:
    from simulators.scenarios import MAX_ATHLETES, load_scenario

    if args.athletes is not None and not 1 <= args.athletes <= MAX_ATHLETES:  # as simulate and evaluate
        raise UsageError(f"--athletes must be 1-{MAX_ATHLETES}")

    scenario = load_scenario(args.scenario)
    setup_logging(args.log_level)
    asyncio.run(_demo(args, scenario))
    return 0


class _Stop:
    """SIGINT/SIGTERM for the whole demo, installed before anything is created: during start-up a stop cancels
    the start-up (so the temporary store folder is still removed on the way out); once the monitor exists, it stops
    the monitor cleanly."""

    def __init__(self) -> None:
        self.startup: asyncio.Task[Any] | None = None
        self.monitor_stop: Callable[[], None] | None = None
        self.requested = False

    def __call__(self) -> None:
        self.requested = True
        if self.monitor_stop is not None:
            self.monitor_stop()
        elif self.startup is not None:
            self.startup.cancel()


async def _demo(args: argparse.Namespace, scenario: Any) -> None:
    """The demo keeps its sessions in a SQLite store of its own, deleted at the end: the dashboard's History,
    past sessions and their reports work as with ``crampwatch monitor`` (without one, History only said "start
    the monitor with --store PATH", which the demo has no flag for)."""
    import tempfile

    stop = _Stop()
    install_stop_handlers(stop)  # first: a stop between creating the folder and starting the monitor removes it too
    with tempfile.TemporaryDirectory(prefix="crampwatch-demo-") as tmp:
        stop.startup = asyncio.create_task(_demo_with_store(args, scenario, str(Path(tmp) / "sessions.db"), stop))
        try:
            await stop.startup
        except asyncio.CancelledError:
            if not (stop.requested and stop.startup.cancelled()):
                raise  # cancelled from outside, not by a signal
            print("stopped during start-up", file=sys.stdout)


async def _demo_with_store(args: argparse.Namespace, scenario: Any, store_path: str, stop: _Stop) -> None:
    from alerts.sinks.console import ConsoleSink
    from monitor.coach.live import LiveView
    from monitor.mqtt.embedded import EmbeddedBroker
    from monitor.mqtt.service import Monitor
    from monitor.store.sqlite import SqliteStore
    from simulators.pacing import Follow
    from simulators.publish import Run, publish

    out = sys.stdout
    sims = scenario.simulate(args.athletes, seed=args.seed)
    runs = [Run(squad=scenario.squad, athlete=s.athlete, profile=s.profile, frames=s.frames, plan=s.plan) for s in sims]
    view = LiveView()
    async with EmbeddedBroker() as broker:
        monitor = Monitor(broker, sinks=[ConsoleSink(out), view], store=SqliteStore(store_path))
        stop.monitor_stop = monitor.stop  # from now on a signal stops the monitor, not the start-up
        async with monitor:
            await monitor.wait_connected()
            from monitor.http import serve

            server = await serve(view, args.http[0], args.http[1], ack=monitor.publish_ack, monitor=monitor)
            minutes = max((r.frames[-1].t - r.frames[0].t) / 60 for r in runs if r.frames)
            print(f"crampwatch demo — dashboard: {server.url}", file=out)
            print(
                f"broker {broker} (embedded); scenario {scenario.name!r}: {plural(len(runs), 'runner')}, "
                f"~{minutes:.0f} min of running at x{args.speed:g}; Ctrl-C to stop",
                file=out,
            )
            for sim in sims:
                p = sim.profile
                pace = f"{int(p.training_pace // 60)}:{int(p.training_pace % 60):02d}/km" if p.training_pace else "?"
                print(f"  {sim.athlete:<10} {p.name or '':<10} training pace {pace}", file=out)
            out.flush()
            follow = Follow(window=DEMO_WINDOW, timeout_s=DEMO_SILENT_S)
            publisher = asyncio.create_task(publish(broker, runs, speed=args.speed, follow=follow))
            table = asyncio.create_task(_tables(monitor, out, args.table_every))
            try:
                waiters: list[asyncio.Task[Any]] = [asyncio.create_task(monitor.wait_stopped())]
                if args.duration:
                    waiters.append(asyncio.create_task(asyncio.sleep(args.duration)))
                else:
                    waiters.append(publisher)
                done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                if publisher in done and not args.duration:
                    failed = None if publisher.cancelled() else publisher.exception()
                    ended = f"simulation stopped: {failed}" if failed else "simulation finished"
                    print(f"{ended}; the dashboard stays up until Ctrl-C", file=out)
                    await monitor.wait_stopped()
                for task in waiters:
                    if task is not publisher:
                        task.cancel()
            finally:
                for task in (publisher, table):
                    await cancel_and_wait(task)
                _print_table(monitor, out)
                await server.close()
    alerts, statuses = monitor.counters["alerts"], monitor.router.counters["statuses"]
    print(f"stopped: {plural(alerts, 'alert')}, {plural(statuses, 'status', 'statuses')}", file=out)


async def _tables(monitor: Monitor, out: TextIO, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        _print_table(monitor, out)


def _fmt(value: Any, spec: str, width: int) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–".rjust(width)
    return format(value, spec).rjust(width)


def _print_table(monitor: Monitor, out: TextIO) -> None:
    statuses = [p.last_status for p in monitor.router if p.last_status]
    if not statuses:
        return
    statuses.sort(key=lambda s: -float(s["risk"] or 0))
    print(
        f"{'athlete':<10} {'min':>4} {'HR':>4} {'pace':>6} {'cad':>4} {'°C':>4} {'risk':>5} level     signal", file=out
    )
    for s in statuses:
        pace = s["pace"]
        pace_txt = f"{int(pace // 60)}:{int(pace % 60):02d}" if pace else "–"
        print(
            f"{s['athlete']:<10} {s['elapsed_s'] / 60:>4.0f} {_fmt(s['hr'], '.0f', 4)} {pace_txt:>6} "
            f"{_fmt(s['cadence'], '.0f', 4)} {_fmt(s['temp'], '.0f', 4)} {s['risk']:>5.2f} "
            f"{s['level']:<9} {s['signal']}",
            file=out,
        )
    out.flush()
