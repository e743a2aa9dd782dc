"""``--plan`` and ``--target-pace``: today's plan for a recorded run (``analyze``, ``report``), as a session start
would carry it. Light: imported when a command's parser is built."""

from __future__ import annotations

import argparse
import re

from monitor.errors import UsageError
from processors.profile import PLAN_NAMES, SessionPlan


def add_plan_arguments(p: argparse.ArgumentParser, prefix: str = "") -> None:
    """``--plan`` and ``--target-pace`` (also ``crampwatch report``'s, for a file)."""
    p.add_argument(
        "--plan",
        choices=PLAN_NAMES,
        help=f"{prefix}today's plan, as a session start would carry it (pace is judged against it)",
    )
    p.add_argument(
        "--target-pace",
        type=pace_arg,
        metavar="PACE",
        help=f"{prefix}today's target pace in s/km (120-1200) or m:ss per km (4:50)",
    )


def pace_arg(text: str) -> float:
    """A pace as seconds per km ("290") or m:ss per km ("4:50", as watches and the CSV reader write it).

    >>> pace_arg("290"), pace_arg("4:50"), pace_arg(" 12:05 ")
    (290.0, 290.0, 725.0)
    """
    clock = re.fullmatch(r"(\d{1,2}):([0-5]\d)", text.strip())
    if clock:
        return float(int(clock[1]) * 60 + int(clock[2]))
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected s/km (290) or m:ss (4:50), got {text[:20]!r}") from None


def plan_of(args: argparse.Namespace) -> SessionPlan:
    """Today's plan from ``--plan``/``--target-pace`` (a target outside 120-1200 s/km is a usage error)."""
    if args.target_pace is not None and not 120 <= args.target_pace <= 1200:
        raise UsageError("--target-pace must be 120-1200 s/km")
    return SessionPlan(plan=args.plan, target_pace=args.target_pace)
