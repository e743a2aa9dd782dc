"""``crampwatch report SESSION|FILE [-o report.html] [--store PATH]``: the post-run report as one self-contained
HTML file (or a PDF with ``-o report.pdf``).

FILE is a recorded run (FIT, TCX, GPX, CSV, also .gz), run through the offline pipeline exactly like
``crampwatch analyze`` (same profile rules, so the numbers equal ``analyze --json``). SESSION is a session id of
the session store (``crampwatch sessions`` lists them; ``--store PATH``, default ``$CRAMPWATCH_STORE``, else the
monitor's default store in the user data dir). The flags marked "FILE only" (``--profile``, ``--plan``,
``--target-pace``, ``--squad``, ``--athlete``) are refused with a SESSION: its statuses were judged while it ran.
matplotlib is imported only when the report is drawn (Agg backend).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from monitor.commands._plan import add_plan_arguments, plan_of
from monitor.errors import InputFileError, UsageError

if TYPE_CHECKING:
    from monitor.coach.report import RunReport
    from processors.profile import SessionPlan

HELP = "the post-run report (HTML with charts) of a stored session or a recorded file"
DEFAULT_SQUAD = "offline"
_RUN_SUFFIXES = (".fit", ".tcx", ".gpx", ".csv", ".txt", ".tsv", ".gz")


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "report",
        help=HELP,
        description="Write the post-run report: summary (duration, distance, HR, zones, TRIMP, decoupling, "
        "efficiency factor), charts with the alerts marked, the alerts with their reasons and what the runner "
        "did in the 5 minutes after each.",
    )
    p.add_argument("source", metavar="SESSION|FILE", help="a session id of the store, or a recorded run file")
    p.add_argument("-o", "--output", metavar="FILE", help="report file, .html or .pdf (default: report-<id>.html)")
    p.add_argument(
        "--store", metavar="PATH", help="session store (default: $CRAMPWATCH_STORE, else the monitor's default store)"
    )
    p.add_argument("--profile", metavar="FILE", help="FILE only: athlete profile, TOML or JSON")
    p.add_argument("--squad", help="FILE only: squad id in statuses and alert ids (default: offline)")
    p.add_argument("--athlete", help="FILE only: athlete id (default: from the file name)")
    add_plan_arguments(p, "FILE only: ")


def run(args: argparse.Namespace) -> int:
    from monitor.commands.progress import progress_bar

    source: str = args.source
    is_file = Path(source).exists() or source.lower().endswith(_RUN_SUFFIXES)
    store: tuple[str, str] | None = None  # the session store and where it came from
    if not is_file:
        from monitor.store import parse_session_id, store_to_read

        try:
            parse_session_id(source)
        except ValueError:
            raise UsageError(f"{source[:80]!r}: no such file, and not a session id (SQUAD.ATHLETE.START_MS)") from None
        refuse_file_flags(args)
        store = store_to_read(args.store)
    stem = (Path(source).name.split(".")[0] or "run") if is_file else source
    out = Path(args.output or f"report-{stem}.html")
    if out.suffix.lower() not in (".html", ".htm", ".pdf"):
        raise UsageError(f"-o {out}: the report is .html or .pdf")
    with progress_bar("report", total=2, unit="steps") as advance:  # on a terminal only
        if is_file:
            squad = DEFAULT_SQUAD if args.squad is None else args.squad
            rep = from_file(source, profile=args.profile, squad=squad, athlete=args.athlete, plan=plan_of(args))
        else:
            assert store is not None
            rep = asyncio.run(from_store(*store, source))
        advance()
        write(rep, out)
        advance()
    print(f"report: {out}")
    return 0


#: The flags that only a FILE takes (``dest``, flag): a stored session was judged while it ran, with the profile
#: and plan the monitor had then, under the squad and athlete it was stored as.
FILE_ONLY: Final = (("profile", "--profile"), ("squad", "--squad"), ("athlete", "--athlete"), ("plan", "--plan"),
                    ("target_pace", "--target-pace"))  # fmt: skip


def refuse_file_flags(args: argparse.Namespace) -> None:
    """A stored session with a flag only a FILE takes is a usage error naming the flag (they were ignored: a
    report "with" ``--plan tempo`` that was not judged against it)."""
    given = [flag for dest, flag in FILE_ONLY if getattr(args, dest, None) is not None]
    if given:
        raise UsageError(
            f"{', '.join(given)}: for a FILE only; a stored session's report shows what the monitor judged while it"
            " ran (its profile, plan, squad and athlete)"
        )


def need_matplotlib() -> None:
    """A clear usage error when the optional plotting library is missing."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise UsageError("crampwatch report draws with matplotlib: pip install 'crampwatch[report]'")


def write(rep: RunReport, out: Path) -> None:
    from monitor.coach import report_html

    need_matplotlib()
    try:
        if out.suffix.lower() == ".pdf":
            from monitor.coach.report_pdf import render_pdf

            render_pdf(rep, str(out))
        else:
            out.write_text(report_html.render_html(rep), encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"-o {out}: cannot write: {exc.strerror or exc}") from exc


def from_file(
    path: str, *, profile: str | None, squad: str, athlete: str | None, plan: SessionPlan | None = None
) -> RunReport:
    """A recorded run through the offline pipeline (as ``analyze``), with today's ``plan`` when given."""
    from monitor.coach.report import from_analysis
    from monitor.commands import analyze
    from monitor.core.pipeline import run_offline
    from simulators.readers import read_recording

    squad = analyze.check_id("--squad", squad)
    athlete = analyze.check_id("--athlete", athlete) if athlete else analyze.athlete_id(path)
    prof, origin = (analyze.load_profile(profile), "given") if profile else (None, "")
    rec = read_recording(path)
    if prof is None:
        prof, origin = analyze.file_profile(rec)
    result = run_offline(analyze.usable_frames(rec), squad=squad, athlete=athlete, profile=prof, plan=plan)
    doc = analyze.document(rec, result, prof, origin)
    note = analyze.sport_note(rec)
    source = f"Recorded run {Path(path).name} ({rec.format.upper()})" + (f"; {note}" if note else "")
    return from_analysis(doc, result.statuses, source=source)


async def from_store(spec: str, origin: str, sid: str) -> RunReport:
    """A stored session (statuses and alerts as the monitor published them); ``origin`` as for ``make_store``."""
    from monitor.coach.report import from_statuses
    from monitor.redact import redact_url
    from monitor.store import make_store

    store = make_store(spec, read_only=True, origin=origin)
    await store.open()
    try:
        summary = await store.session(sid)
        if summary is None:
            shown = redact_url(spec, keep_path=True)  # a postgresql:// URL's password stays out of the message
            raise InputFileError(f"no session {sid[:80]!r} in {shown} (see crampwatch sessions --store {shown})")
        statuses = await store.statuses(sid)
        alerts = await store.alerts(sid)
        samples = await store.samples(sid)
    finally:
        await store.close()
    return from_statuses(statuses, alerts, squad=summary.squad, athlete=summary.athlete,
                         source=f"Stored session {sid}", samples=samples)  # fmt: skip
