"""``crampwatch replay FILE... --broker URL --squad S [--athlete A] [--speed X] [--mode frame|samples]``:
publish recorded runs (FIT, TCX, GPX, CSV) as a watch gateway would.

Every file is read before anything is published: one unreadable file stops the command with exit code 2 and
nothing sent. Several files replay together as a squad, merged in event-time order by the shared publisher.

Athlete ids: with one file, ``--athlete A`` (default: the file name's stem). With several files,
``--athlete A`` is a prefix: ``A-1``, ``A-2``... in the order the files are given; without it, each file's
stem (made unique with ``-2``, ``-3``... when two stems are equal).

Time: frames keep the event times the watch recorded, unless ``--now`` shifts every run so that it starts at
the current time (several runs then start together, whatever day they were recorded). ``--speed`` 1 is real
time (default), 60 is x60, 0 as fast as the broker acknowledges; the event times (and so the monitor's
statuses and alerts) never depend on it.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import TYPE_CHECKING, Any

from monitor.commands.analyze import athlete_id, check_id, file_profile, load_profile
from monitor.commands.common import (
    add_broker_flags,
    add_publish_flags,
    broker_from_args,
    check_publish_args,
    topics_from_args,
)
from monitor.errors import UsageError
from processors.profile import Profile

if TYPE_CHECKING:  # the publisher and file readers load only when the command runs: fast --help / usage errors
    from simulators.publish import Run
    from simulators.readers import Recording


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "replay",
        help="publish recorded runs (FIT, TCX, GPX, CSV) to a broker",
        description="Publish recorded runs to a broker as a watch gateway would, paced on event time.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="recorded runs: .fit, .tcx, .gpx, .csv (also .gz)")
    add_broker_flags(p)
    p.add_argument("--squad", required=True, help="squad id")
    p.add_argument(
        "--athlete", help="athlete id (one file) or id prefix (several files: A-1, A-2...); default: file stems"
    )
    add_publish_flags(p)
    p.add_argument("--now", action="store_true", help="shift every run to start at the current time")
    p.add_argument(
        "--profile",
        metavar="FILE",
        help="athlete profile (TOML or JSON), published retained for all (default: a FIT file's own user profile)",
    )


def athlete_ids(files: list[str], athlete: str | None) -> list[str]:
    """Athlete id per file (see the module docstring).

    >>> athlete_ids(["a.fit"], "ann"), athlete_ids(["a.fit", "b.tcx"], "r"), athlete_ids(["x/a.fit", "y/a.fit"], None)
    (['ann'], ['r-1', 'r-2'], ['a', 'a-2'])
    """
    if athlete is not None:
        ids = [athlete] if len(files) == 1 else [f"{athlete}-{i}" for i in range(1, len(files) + 1)]
        for value in ids:
            check_id("--athlete", value)
        return ids
    out: list[str] = []
    for path in files:
        base = athlete_id(path)[:60]
        candidate, n = base, 1
        while candidate in out:
            n += 1
            candidate = f"{base}-{n}"
        out.append(candidate)
    return out


def build_runs(
    recordings: list[Recording], squad: str, athletes: list[str], profile: Profile | None, now: float | None
) -> list[Run]:
    from simulators.publish import Run

    runs = []
    for rec, athlete in zip(recordings, athletes, strict=True):
        if now is not None:
            rec = rec.shifted(now - rec.start)
        frames = rec.frames()
        if not frames:
            raise UsageError(f"{rec.source}: nothing to publish (no heart rate, pace, cadence or temperature)")
        # Without --profile, the file's own athlete description (FIT user_profile), as `analyze` uses it.
        own = profile if profile is not None or not rec.athlete else file_profile(rec)[0]
        runs.append(Run(squad=squad, athlete=athlete, profile=own, frames=frames))
    return runs


def run(args: argparse.Namespace) -> int:
    broker = broker_from_args(args, resolve=True)
    topics = topics_from_args(args)
    check_publish_args(args)
    squad = check_id("--squad", args.squad)
    athletes = athlete_ids(args.files, args.athlete)
    profile = load_profile(args.profile) if args.profile else None
    from simulators.publish import publish
    from simulators.readers import read_recording

    recordings = [read_recording(path) for path in args.files]  # all read before anything is sent
    runs = build_runs(recordings, squad, athletes, profile, time.time() if args.now else None)
    frames = sum(len(r.frames) for r in runs)
    print(
        f"replaying {len(runs)} run(s), {frames} frames, to {broker} "
        f"(squad {squad}: {', '.join(r.athlete for r in runs)}; speed {args.speed:g})",
        flush=True,
    )
    stats = asyncio.run(
        publish(
            broker,
            runs,
            speed=args.speed,
            mode=args.mode,
            batch=args.batch,
            prefix=topics.prefix,
            session_events=not args.no_session,
        )
    )
    print(
        f"published {stats.messages} messages ({stats.frames} frames, {stats.samples} samples) in {stats.wall_s:.1f} s"
    )
    return 0
