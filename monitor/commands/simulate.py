"""``crampwatch simulate --broker URL [--scenario NAME|FILE] [--athletes N] [--speed X] [--seed N] [--squad S]
[--mode frame|samples] [--batch N]``: publish simulated runs as a watch gateway would."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

from monitor.commands.common import (
    MONITOR_MAX_FUTURE_S,
    add_broker_flags,
    add_publish_flags,
    broker_from_args,
    check_publish_args,
    follow_from_args,
    plural,
    publish_note,
    topics_from_args,
)
from monitor.commands.progress import duration_note, progress_bar
from monitor.core.wire import ID_RE
from monitor.errors import InputFileError, UsageError
from simulators.publish import Message, Run, publish
from simulators.runner import DEFAULT_START, SimulatedRun
from simulators.scenarios import MAX_ATHLETES, Scenario, builtin_names, load_scenario

DEFAULT_SCENARIO = "squad"


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "simulate",
        help="publish simulated runs (runner model with known cramp onsets)",
        description="Simulate runners and publish their streams to a broker, paced on event time. "
        f"Built-in scenarios: {', '.join(builtin_names())}; or a scenario TOML file (docs/simulators.md).",
    )
    add_broker_flags(p)
    add_scenario_flags(p)
    add_publish_flags(p)
    p.add_argument("--squad", help="squad id (default: the scenario's)")
    p.add_argument(
        "--start",
        type=float,
        default=DEFAULT_START,
        help=f"event time of the start (default {DEFAULT_START:.0f})",
    )
    p.add_argument("--truth", metavar="FILE", help="also write the ground truth (cramp onsets…) as JSON")
    p.add_argument("--list", action="store_true", help="list the built-in scenarios and exit")


def add_scenario_flags(p: argparse.ArgumentParser) -> None:
    """Flags shared with ``evaluate``."""
    p.add_argument(
        "--scenario",
        default=DEFAULT_SCENARIO,
        help=f"built-in name or TOML file (default {DEFAULT_SCENARIO})",
    )
    p.add_argument("--athletes", type=int, help="number of athletes (default: those the scenario lists)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0); same seed, same runs")


def scenario_from_args(args: argparse.Namespace) -> Scenario:
    if args.athletes is not None and not 1 <= args.athletes <= MAX_ATHLETES:
        raise UsageError(f"--athletes must be 1-{MAX_ATHLETES}")
    if args.seed < 0:
        raise UsageError("--seed must not be negative")
    return load_scenario(args.scenario)


def list_scenarios() -> None:
    for name in builtin_names():
        scenario = load_scenario(name)
        print(f"{name:15s} {plural(len(scenario.templates), 'athlete'):>11s}  {scenario.description}")


def truth_json(runs: list[SimulatedRun], squad: str) -> dict[str, Any]:
    return {
        "squad": squad,
        "athletes": {
            r.athlete: {
                "onset": r.truth.onset,
                "onsets": list(r.truth.onsets),
                "responses": list(r.truth.responses),
                "end": r.truth.end,
                "start": float(r.trace.t[0]) if r.trace.t.size else None,
                "duration_s": float(r.trace.t.size),
            }
            for r in runs
        },
    }


def run(args: argparse.Namespace) -> int:
    if args.list:
        list_scenarios()
        return 0
    broker = broker_from_args(args, resolve=True)
    topics = topics_from_args(args)
    check_publish_args(args)
    if not (math.isfinite(args.start) and args.start >= 0):
        raise UsageError("--start must be an event time (Unix seconds) >= 0")
    if args.start > time.time() + MONITOR_MAX_FUTURE_S:  # e.g. milliseconds: every sample "future time"
        raise UsageError(
            f"--start {args.start:.10g} is in the future, and the monitor rejects samples more than "
            f"{MONITOR_MAX_FUTURE_S:g} s ahead of its clock (Unix seconds, not milliseconds)"
        )
    scenario = scenario_from_args(args)
    squad = args.squad or scenario.squad
    if not ID_RE.match(squad):
        raise UsageError(f"--squad {squad[:70]!r}: 1-64 characters from [A-Za-z0-9_-]")
    sims = scenario.simulate(args.athletes, seed=args.seed, start=args.start)
    if args.truth:
        try:
            Path(args.truth).write_text(json.dumps(truth_json(sims, squad), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise InputFileError(f"--truth {args.truth}: {exc}") from exc
    runs = [Run(squad=squad, athlete=s.athlete, profile=s.profile, frames=s.frames, plan=s.plan) for s in sims]
    frames = sum(len(r.frames) for r in runs)
    first = min((r.frames[0].t for r in runs if r.frames), default=0.0)
    span = max((r.frames[-1].t for r in runs if r.frames), default=first) - first
    print(
        f"simulate: {scenario.name}: {plural(len(runs), 'athlete')}, {plural(frames, 'frame')} → {broker} at "
        + ("full speed" if args.speed == 0 else f"x{args.speed:g}")
        + f"; {duration_note(span, args.speed, paced=not args.unpaced)}",
        file=sys.stderr,
    )
    with progress_bar("simulating", total=max(span, 1.0), unit="s of run") as advance:

        def sent(message: Message) -> None:
            if message.at is not None:
                advance(to=message.at - first)

        stats = asyncio.run(
            publish(
                broker, runs, speed=args.speed, mode=args.mode, batch=args.batch, prefix=topics.prefix,
                session_events=not args.no_session, on_sent=sent, follow=follow_from_args(args),
                end_on_cancel=True,  # Ctrl-C: each started session gets its stop, not the monitor's 10-min timeout
            )
        )  # fmt: skip
    print(
        f"published {stats.messages} messages ({stats.frames or stats.samples} "
        f"{'frames' if stats.frames else 'samples'}, {stats.bytes} bytes) in {stats.wall_s:.1f} s"
    )
    if (note := publish_note(args, broker, topics.prefix, stats.unfollowed, stats.messages)) is not None:
        print(note)
    return 0
