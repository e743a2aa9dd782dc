"""``crampwatch replay FILE... --broker URL --squad S [--athlete A] [--speed X] [--mode frame|samples]``:
publish recorded runs (FIT, TCX, GPX, CSV) as a watch gateway would.

Every file is read before anything is published: one unreadable file stops the command with exit code 2 and
nothing sent. Several files replay together as a squad, merged in event-time order by the shared publisher.

Athlete ids: with one file, ``--athlete A`` (default: the file name's stem as an id, by the bridge's rule
:func:`monitor.core.topics.to_id`: "Zoë's run.fit" is ``Zoe_s_run``). With several files,
``--athlete A`` is a prefix: ``A-1``, ``A-2``... in the order the files are given; without it, each file's
stem (made unique with ``-2``, ``-3``... when two stems are equal).

Time: several runs start together by default — each is shifted so that it starts at the earliest file's start,
whatever day it was recorded (a squad replay of runs from different days takes the length of the longest run,
not the days between them); ``--keep-times`` keeps the recorded times, ``--now`` shifts every run to start at
the current time. One file keeps its times unless ``--now``. Runs with elapsed times (no date) start with the
dated runs beside them, or, alone, so that the longest ends now (:func:`start_times`). The command says how long
the replay will take.
``--speed`` 1 is real time (default), 60 is x60, 0 as fast as the monitor takes it (paced by its statuses,
``simulators/pacing.py``; ``--unpaced``: as fast as the broker acknowledges); the event times (and so the monitor's
statuses and alerts) never depend on it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from monitor.commands.analyze import athlete_id, check_id, file_profile, load_profile
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
from monitor.core.eventtime import DATED_FROM
from monitor.errors import UsageError
from processors.profile import Profile

if TYPE_CHECKING:  # the publisher and file readers load only when the command runs: fast --help / usage errors
    from simulators.publish import Message, Run
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
    when = p.add_mutually_exclusive_group()
    when.add_argument(
        "--now",
        action="store_true",
        help="shift every run to start at the current time (at --speed 1: faster, its times would run ahead of the "
        "clock, beyond what the monitor accepts)",
    )
    when.add_argument(
        "--keep-times",
        action="store_true",
        help="keep each file's recorded times (default: runs recorded on different days start together, at the "
        "earliest file's start; runs with elapsed times, no date, start with them or, alone, end now)",
    )
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
    recordings: list[Recording],
    squad: str,
    athletes: list[str],
    profile: Profile | None,
    starts: Sequence[float | None] | None,
) -> list[Run]:
    """One run per recording; ``starts``: where each starts (None: at its recorded times; see :func:`start_times`)."""
    from simulators.publish import Run

    runs = []
    for k, (rec, athlete) in enumerate(zip(recordings, athletes, strict=True)):
        start = None if starts is None else starts[k]
        if start is not None:
            rec = rec.shifted(start - rec.start)
        frames = rec.frames()
        if not frames:
            raise UsageError(f"{rec.source}: nothing to publish (no heart rate, pace, cadence or temperature)")
        # Without --profile, the file's own athlete description (FIT user_profile), as `analyze` uses it.
        own = profile if profile is not None or not rec.athlete else file_profile(rec)[0]
        runs.append(Run(squad=squad, athlete=athlete, profile=own, frames=frames))
    return runs


def check_now_speed(span: float, speed: float) -> None:
    """``--now`` starts the run at the clock; faster than real time its event times run ahead of the clock by
    ``span * (1 - 1/speed)`` at the end, and the monitor rejects what is more than 300 s in its future (a 1:25 run
    with ``--now --speed 0`` reached the monitor as its first 5 min: 4,918 samples rejected as "future time").

    >>> check_now_speed(3600, 1.0), check_now_speed(3600, 0.5), check_now_speed(3600, 1.05)
    (None, None, None)
    >>> from monitor.errors import UsageError
    >>> try:
    ...     check_now_speed(5145, 60)
    ... except UsageError as e:
    ...     print(str(e)[:68])
    --now with --speed 60: the run's times would get 1:24:19 ahead of th
    """
    ahead = span if speed == 0 else span * (1.0 - 1.0 / speed)
    if ahead > MONITOR_MAX_FUTURE_S:
        h, rest = divmod(round(ahead), 3600)
        raise UsageError(
            f"--now with --speed {speed:g}: the run's times would get {h}:{rest // 60:02d}:{rest % 60:02d} ahead of "
            f"the clock, and the monitor rejects samples more than {MONITOR_MAX_FUTURE_S:g} s in its future; with "
            "--now use --speed 1 (real time), or leave --now out"
        )


def relative(recordings: list[Recording]) -> bool:
    """Whether a run has elapsed times (from 0) instead of dates."""
    return any(rec.start < DATED_FROM for rec in recordings)


def start_times(recordings: list[Recording], args: argparse.Namespace) -> list[float | None]:
    """Where each run starts (None: where it was recorded): all now (``--now``), where they were recorded
    (``--keep-times``), or by default together: dated runs at the earliest dated run's start (files from different
    days replay together; one dated file keeps its times), and runs with elapsed times (no date) with them — or,
    with no dated run beside them, so that the longest ends now: replayed at their own times they were sessions of
    1970-01-01 in the monitor's history (audit6). A dated run beside an elapsed one keeps its date: both were moved
    to end now (audit7), and an elapsed run left at its own times would put 50 years between the two."""
    if args.now:
        return [time.time()] * len(recordings)
    if args.keep_times:
        return [None] * len(recordings)
    dated = [rec.start for rec in recordings if rec.start >= DATED_FROM]
    if not dated:
        return [time.time() - max(rec.end - rec.start for rec in recordings)] * len(recordings)
    first = min(dated)
    keep = len(dated) < 2  # one dated file keeps its times
    return [(None if keep else first) if rec.start >= DATED_FROM else first for rec in recordings]


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
    runs = build_runs(recordings, squad, athletes, profile, start_times(recordings, args))
    frames = sum(len(r.frames) for r in runs)
    first = min(r.frames[0].t for r in runs)
    span = max(r.frames[-1].t for r in runs) - first
    if args.now:
        check_now_speed(span, args.speed)
    running = sum(r.frames[-1].t - r.frames[0].t for r in runs)  # less than span when runs keep days apart
    how_long = duration_note(span, args.speed, running, paced=not args.unpaced)
    if relative(recordings) and not (args.now or args.keep_times):
        if all(rec.start < DATED_FROM for rec in recordings):
            how_long += "; elapsed times (no date): placed to end now"
        else:
            how_long += "; elapsed times (no date): started with the dated runs"
    print(
        f"replaying {plural(len(runs), 'run')}, {plural(frames, 'frame')}, to {broker} "
        f"(squad {squad}: {', '.join(r.athlete for r in runs)}); {how_long}",
        file=sys.stderr,  # as simulate's: stdout keeps the result only
        flush=True,
    )
    with progress_bar("replaying", total=max(span, 1.0), unit="s of run") as advance:

        def sent(message: Message) -> None:
            if message.at is not None:
                advance(to=message.at - first)

        stats = asyncio.run(
            publish(
                broker,
                runs,
                speed=args.speed,
                mode=args.mode,
                batch=args.batch,
                prefix=topics.prefix,
                session_events=not args.no_session,
                on_sent=sent,
                follow=follow_from_args(args),
                end_on_cancel=True,  # Ctrl-C: each started session gets its stop, not the monitor's 10-min timeout
            )
        )
    print(
        f"published {stats.messages} messages ({stats.frames} frames, {stats.samples} samples) in {stats.wall_s:.1f} s"
    )
    if (note := publish_note(args, broker, topics.prefix, stats.unfollowed, stats.messages)) is not None:
        print(note)
    return 0
