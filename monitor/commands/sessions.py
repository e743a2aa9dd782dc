"""``crampwatch sessions [--squad S] [--athlete A] [--store PATH] [--json] [--export FILE.jsonl]``: the session
history kept by ``crampwatch monitor``'s session store (read only; safe while the monitor runs)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

from monitor.commands.common import columns, fit, pad, plural
from monitor.errors import UsageError

if TYPE_CHECKING:
    from monitor.store.base import SessionStore, SessionSummary

#: The largest LIMIT a store takes (SQLite and PostgreSQL integers are 64-bit); a larger --limit lists them all.
MAX_LIMIT: Final = 2**63 - 1
HELP = "list the sessions in the session store (athlete, start, duration, distance, peak risk, alerts)"


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "sessions",
        help=HELP,
        description="List the sessions the monitor recorded in its session store (SQLite): athlete, start, "
        "duration, distance, peak risk and alerts; --json for a list, --export for the raw records.",
    )
    p.add_argument("--squad", help="only this squad")
    p.add_argument("--athlete", help="only this athlete")
    p.add_argument(
        "--store",
        metavar="PATH",
        help="session store (default: $CRAMPWATCH_STORE, else the monitor's in the user data dir; "
        "none there yet: no sessions)",
    )
    p.add_argument("--limit", type=int, default=None, metavar="N", help="at most N sessions, newest first")
    p.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    p.add_argument(
        "--export",
        metavar="FILE",
        help="write the listed sessions' statuses, alerts and acks as JSON lines ('-' for stdout) instead of "
        "printing the table",
    )


def _check_id(name: str, value: str | None) -> None:
    from monitor.core.wire import check_id

    if value is not None:
        try:
            check_id(value)
        except ValueError:
            raise UsageError(f"--{name} {value[:70]!r}: 1-64 characters from [A-Za-z0-9_-]") from None


def run(args: argparse.Namespace) -> int:
    from monitor.store import make_store, store_to_read
    from monitor.store.base import DEFAULT

    _check_id("squad", args.squad)
    _check_id("athlete", args.athlete)
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be at least 1")
    if args.limit is not None:
        args.limit = min(args.limit, MAX_LIMIT)  # more than any store holds: all of them (was a traceback)
    if args.json and args.export == "-":
        raise UsageError("--json with --export -: both write to stdout; export to a file, or leave one out")
    spec, origin = store_to_read(args.store)  # as `report` reads it
    if origin == DEFAULT and not Path(spec).exists():  # no monitor has run here yet: no sessions
        if args.export and args.export != "-":  # (a store named by --store or CRAMPWATCH_STORE must exist)
            _write_empty(args.export)
        return _show([], args)
    store = make_store(spec, read_only=True, origin=origin)
    rows = asyncio.run(_list(store, args))
    if args.export:
        asyncio.run(_export(store, rows, args.export))
    return _show(rows, args)


def _show(rows: list[SessionSummary], args: argparse.Namespace) -> int:
    """The listing on stdout. With ``--export`` stdout holds only what was asked for: the records (``-``), or
    nothing but the ``--json`` list (a file; what was written is said on stderr) — never the table."""
    if args.export and args.export != "-":
        print(f"sessions: {plural(len(rows), 'session')} exported to {args.export}", file=sys.stderr)
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], allow_nan=False))
    elif not args.export:
        print(table(rows))
    return 0


async def _list(store: SessionStore, args: argparse.Namespace) -> list[SessionSummary]:
    async with store:
        return await store.sessions(squad=args.squad, athlete=args.athlete, limit=args.limit)


async def _export(store: SessionStore, rows: list[SessionSummary], target: str) -> None:
    """The JSON-lines format of ``--store FILE.jsonl`` (``{"type", "data"}`` per line; ``read_store`` reads it),
    plus one ``session`` line (the summary) before each session's records."""
    if target == "-":
        await _write_export(store, rows, sys.stdout)
        return
    try:
        with Path(target).open("w", encoding="utf-8") as f:
            await _write_export(store, rows, f)
    except OSError as exc:
        raise UsageError(f"--export {target}: cannot write ({exc.strerror or exc})") from exc


def _write_empty(target: str) -> None:
    try:
        Path(target).write_text("", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--export {target}: cannot write ({exc.strerror or exc})") from exc


async def _write_export(store: SessionStore, rows: list[SessionSummary], f: TextIO) -> None:
    async with store:
        for row in rows:
            f.write(_line("session", row.to_dict()))
            for status in await store.statuses(row.id):
                f.write(_line("status", status))
            for alert in await store.alerts(row.id):
                acked = alert.pop("acked", False)
                f.write(_line("alert", alert))
                if acked:
                    f.write(_line("ack", {"squad": row.squad, "athlete": row.athlete, "alert_id": alert["id"]}))


def _line(kind: str, data: dict[str, Any]) -> str:
    return json.dumps({"type": kind, "data": data}, allow_nan=False) + "\n"


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


#: The widest runner name the table shows (terminal columns); longer ones end in "…".
NAME_COLUMNS: Final = 28


def table(rows: list[SessionSummary]) -> str:
    """A plain text table, one session per line.

    >>> from monitor.store.base import SessionSummary
    >>> row = SessionSummary("club.ann.1732400000000", "club", "ann", "Ann", 1732400000.0, 1732403600.0, 3600.0,
    ...                      11950.4, 0.731, "high", 2, False)
    >>> print(table([row]))
    SESSION                 SQUAD  ATHLETE  START (UTC)       DURATION  DISTANCE  PEAK RISK  ALERTS  STATE
    club.ann.1732400000000  club   Ann      2024-11-23 22:13   1:00:00  11.95 km  73% high        2  finished
    """
    if not rows:
        return "no sessions"
    head = ("SESSION", "SQUAD", "ATHLETE", "START (UTC)", "DURATION", "DISTANCE", "PEAK RISK", "ALERTS", "STATE")
    body = [
        (
            r.id,
            r.squad,
            fit(r.name or r.athlete, NAME_COLUMNS),
            datetime.fromtimestamp(r.start, UTC).strftime("%Y-%m-%d %H:%M"),
            _clock(r.duration_s),
            "-" if r.distance_m is None else f"{r.distance_m / 1000:.2f} km",
            "-" if r.peak_risk is None else f"{r.peak_risk * 100:.0f}% {r.peak_level or ''}".strip(),
            str(r.alerts),
            "open" if r.open else "finished",
        )
        for r in rows
    ]
    right = {4, 5, 7}
    widths = [max(columns(row[i]) for row in (head, *body)) for i in range(len(head))]
    lines = [
        "  ".join(pad(c, w, i in right) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        for row in (head, *body)
    ]
    return "\n".join(line.rstrip() for line in lines)
