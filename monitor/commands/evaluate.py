"""``crampwatch evaluate [--scenario NAME|FILE]... [--athletes N] [--seed S] [--json]``: warning quality against
simulated runners whose cramp onsets are known.

Each simulated run goes through the same offline pipeline as ``analyze`` (no broker). Definitions (an *alarm*
is an alert of level ``warning`` or ``critical``; ``H`` is the horizon, 30 min by default):

* **hit** — a cramping runner with an alarm in ``[onset − H, onset)``; **sensitivity** = hits / cramping runners.
* **lead time** — onset minus the first alarm in that window; the report gives the median over hits.
* **false alarm** — an alarm to a runner who does not cramp, or one earlier than ``onset − H``. Alarms at or
  after the onset are the response to the cramp and count neither way (the acute-cramp detection is reported
  on its own: a critical ``stop_and_stretch`` within 2 min after onset).
* **false alarms per runner-hour** — false alarms / time at risk of one: the whole run of non-cramping
  runners plus, for cramping runners, the time before ``onset − H``.

This is risk guidance measured against a model, not a clinical validation: the simulated runners cramp with
the hazard of ``simulators.runner.cramp``, which is built on the same risk factors the pipeline watches.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from monitor.commands.common import plural
from monitor.errors import UsageError
from simulators.runner import DEFAULT_START
from simulators.scenarios import MAX_ATHLETES, builtin_names, load_scenario

if TYPE_CHECKING:
    from monitor.commands._truth_eval import TruthRun

DEFAULT_SCENARIOS = ("squad", "hot-marathon", "easy")
DEFAULT_ATHLETES = 16
HORIZON_MIN = 30.0
ACUTE_WINDOW_S = 120.0
ALARM_LEVELS = ("warning", "critical")


@dataclass(frozen=True, slots=True)
class RunScore:
    """What one simulated runner contributes (times are event times)."""

    scenario: str
    athlete: str
    template: str
    start: float
    end: float
    onset: float | None
    alarms: tuple[tuple[float, str, str], ...]  # (t, level, kind) of warning/critical alerts
    advice: int

    def window_start(self, horizon_s: float) -> float | None:
        return None if self.onset is None else max(self.start, self.onset - horizon_s)

    def first_hit(self, horizon_s: float) -> float | None:
        """Time of the first alarm in ``[onset − H, onset)``, or None."""
        lo = self.window_start(horizon_s)
        if self.onset is None or lo is None:
            return None
        return next((t for t, _, _ in self.alarms if lo <= t < self.onset), None)

    def false_alarms(self, horizon_s: float) -> int:
        lo = self.window_start(horizon_s)
        if lo is None:
            return len(self.alarms)
        return sum(1 for t, _, _ in self.alarms if t < lo)

    def exposure_s(self, horizon_s: float) -> float:
        lo = self.window_start(horizon_s)
        return max(0.0, (self.end if lo is None else lo) - self.start)

    def alarm_before_onset(self) -> bool:
        return self.onset is not None and any(t < self.onset for t, _, _ in self.alarms)

    def acute_detected(self) -> bool:
        if self.onset is None:
            return False
        onset = self.onset
        return any(
            level == "critical" and kind == "stop_and_stretch" and onset <= t <= onset + ACUTE_WINDOW_S
            for t, level, kind in self.alarms
        )


_Job = TypeVar("_Job")
_Result = TypeVar("_Result")


def score_athlete(scenario_ref: str, index: int, seed: int, start: float = DEFAULT_START) -> RunScore:
    """Simulate athlete ``index`` of a scenario and run it through the offline pipeline (a process-pool job)."""
    from monitor.core.pipeline import run_offline

    scenario = load_scenario(scenario_ref)
    run = scenario.simulate_one(index, seed=seed, start=start)
    result = run_offline(run.frames, squad=scenario.squad, athlete=run.athlete, profile=run.profile, plan=run.plan)
    alarms = tuple((float(a.t), str(a.level), str(a.kind)) for a in result.alerts if a.level in ALARM_LEVELS)
    template = scenario.templates[index % len(scenario.templates)].id
    return RunScore(
        scenario=scenario.name,
        athlete=run.athlete,
        template=template,
        start=float(run.trace.t[0]),
        end=float(run.trace.t[-1]) + 1.0,
        onset=run.truth.onset,
        alarms=alarms,
        advice=sum(1 for a in result.alerts if a.level == "advice"),
    )


def _score_job(job: tuple[str, int, int, float]) -> RunScore:
    return score_athlete(*job)


def score_all(
    scenarios: Sequence[str],
    athletes: int,
    seed: int,
    *,
    jobs: int = 1,
    start: float = DEFAULT_START,
    progress: Callable[[], None] | None = None,
) -> list[RunScore]:
    """Score ``athletes`` runners of each scenario, in a deterministic order whatever ``jobs`` is; ``progress()``
    is called after each runner."""
    work = [(ref, i, seed, start) for ref in scenarios for i in range(athletes)]
    return map_jobs(_score_job, work, jobs=jobs, progress=progress)


def map_jobs(
    fn: Callable[[_Job], _Result], work: list[_Job], *, jobs: int, progress: Callable[[], None] | None
) -> list[_Result]:
    """``[fn(job) for job in work]`` in order, on ``jobs`` spawned processes when more than one;
    ``progress()`` after each job."""
    done = progress or (lambda: None)
    out: list[_Result] = []
    if jobs <= 1 or len(work) <= 1:
        for job in work:
            out.append(fn(job))
            done()
        return out
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        for result in pool.map(fn, work, chunksize=1):
            out.append(result)
            done()
    return out


def summarize(scores: Sequence[RunScore], horizon_s: float = HORIZON_MIN * 60.0) -> dict[str, Any]:
    """The quality numbers of a set of scored runs (see the module docstring for the definitions).

    >>> calm = RunScore("s", "a", "a", 0.0, 3600.0, None, ((1000.0, "warning", "hydrate"),), 0)
    >>> cramp = RunScore("s", "b", "b", 0.0, 3600.0, 3000.0, ((2400.0, "warning", "ease_pace"),), 0)
    >>> r = summarize([calm, cramp])
    >>> r["sensitivity"], r["median_lead_min"], r["false_alarms"], r["false_alarms_per_runner_hour"]
    (1.0, 10.0, 1, 0.75)

    (1 false alarm in 1 h of the calm runner + 20 min of the cramping one before its 30-min window.)
    """
    cramping = [s for s in scores if s.onset is not None]
    calm = [s for s in scores if s.onset is None]
    leads = []
    for s in cramping:
        hit = s.first_hit(horizon_s)
        if hit is not None and s.onset is not None:
            leads.append((s.onset - hit) / 60.0)
    false_alarms = sum(s.false_alarms(horizon_s) for s in scores)
    exposure_h = sum(s.exposure_s(horizon_s) for s in scores) / 3600.0
    quartiles = statistics.quantiles(leads, n=4) if len(leads) >= 2 else [None, None, None]

    def ratio(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    return {
        "runners": len(scores),
        "runner_hours": round(sum(s.end - s.start for s in scores) / 3600.0, 2),
        "cramping": len(cramping),
        "hits": len(leads),
        "sensitivity": ratio(len(leads), len(cramping)),
        "alarm_any_time_before_onset": ratio(sum(s.alarm_before_onset() for s in cramping), len(cramping)),
        "median_lead_min": round(statistics.median(leads), 2) if leads else None,
        "lead_q1_min": None if quartiles[0] is None else round(quartiles[0], 2),
        "lead_q3_min": None if quartiles[2] is None else round(quartiles[2], 2),
        "false_alarms": false_alarms,
        "hours_at_risk_of_false_alarm": round(exposure_h, 2),
        "false_alarms_per_runner_hour": round(false_alarms / exposure_h, 4) if exposure_h > 0 else None,
        "non_cramping_runners_alarmed": ratio(sum(1 for s in calm if s.alarms), len(calm)),
        "acute_cramp_detected_2min": ratio(sum(s.acute_detected() for s in cramping), len(cramping)),
    }


def report(scores: Sequence[RunScore], horizon_s: float) -> dict[str, Any]:
    by_scenario: dict[str, list[RunScore]] = {}
    by_template: dict[str, list[RunScore]] = {}
    for s in scores:
        by_scenario.setdefault(s.scenario, []).append(s)
        by_template.setdefault(f"{s.scenario}/{s.template}", []).append(s)
    return {
        "overall": summarize(scores, horizon_s),
        "scenarios": {name: summarize(group, horizon_s) for name, group in by_scenario.items()},
        "templates": {name: summarize(group, horizon_s) for name, group in by_template.items()},
        "runners": [
            {
                **{k: v for k, v in asdict(s).items() if k != "alarms"},
                "alarms": len(s.alarms),
                "first_hit": s.first_hit(horizon_s),
                "false_alarms": s.false_alarms(horizon_s),
            }
            for s in scores
        ],
    }


def add_parser(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "evaluate",
        help="warning quality on simulated runners with known cramp onsets",
        description="Simulate runners, run them through the offline pipeline and report sensitivity, false "
        "alarms per runner-hour and lead time (definitions in docs/simulators.md).",
    )
    p.add_argument(
        "--scenario",
        action="append",
        help=f"built-in name or TOML file; repeatable (default: {' '.join(DEFAULT_SCENARIOS)})",
    )
    p.add_argument("--athletes", type=int, default=DEFAULT_ATHLETES, help=f"runners per scenario ({DEFAULT_ATHLETES})")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--horizon-min", type=float, default=HORIZON_MIN, help="warning window before onset (30)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: CPUs)")
    p.add_argument("--json", action="store_true", help="print the full report as JSON")
    p.add_argument(
        "--truth",
        action="append",
        metavar="NAME",
        help="score against cramp truth model(s): current, neuromuscular, dehydration, susceptibility, random, null "
        "or all; repeatable (default scenarios then: every built-in one); --json prints {truth, auc, baseline_auc, "
        "auc_ci, sensitivity, median_lead_min, false_alarms_per_h, precision} (a list for several)",
    )


def run(args: argparse.Namespace) -> int:
    truths: tuple[str, ...] = ()
    if args.truth:
        from monitor.commands._truth_eval import parse_truths

        try:
            truths = parse_truths(args.truth)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    scenarios = tuple(args.scenario or (builtin_names() if truths else DEFAULT_SCENARIOS))
    if not 1 <= args.athletes <= MAX_ATHLETES:
        raise UsageError(f"--athletes must be 1-{MAX_ATHLETES}")
    if args.seed < 0:
        raise UsageError("--seed must not be negative")
    if not 0 < args.horizon_min <= 240:
        raise UsageError("--horizon-min must be in (0, 240]")
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    for ref in scenarios:
        load_scenario(ref)  # bad names and files fail here, in the parent, with one line
    horizon_s = args.horizon_min * 60.0
    if truths:
        return _run_truths(args, scenarios, truths, horizon_s)
    from monitor.commands.progress import progress_bar

    with progress_bar("evaluating", total=len(scenarios) * args.athletes, unit="runners") as advance:
        scores = score_all(scenarios, args.athletes, args.seed, jobs=args.jobs, progress=advance)
    rep = report(scores, horizon_s)
    settings = {"scenarios": list(scenarios), "athletes_per_scenario": args.athletes, "seed": args.seed,
                "horizon_min": args.horizon_min}  # fmt: skip
    if args.json:
        print(json.dumps({"settings": settings, **rep}, indent=2))
    else:
        print(render(settings, rep))
    return 0


def truth_runs(
    scenarios: Sequence[str],
    athletes: int,
    seed: int,
    truths: Sequence[str],
    *,
    jobs: int = 1,
    progress: Callable[[], None] | None = None,
) -> list[TruthRun]:
    """Shadow-mode runs of every scenario's runners (deterministic order whatever ``jobs`` is)."""
    from monitor.commands._truth_eval import run_truth_job

    work = [(ref, i, seed, tuple(truths)) for ref in scenarios for i in range(athletes)]
    return map_jobs(run_truth_job, work, jobs=jobs, progress=progress)


def _run_truths(args: argparse.Namespace, scenarios: Sequence[str], truths: Sequence[str], horizon_s: float) -> int:
    from monitor.commands._truth_eval import JSON_KEYS, evaluate_truth, render_truths
    from monitor.commands.progress import progress_bar

    with progress_bar("evaluating", total=len(scenarios) * args.athletes, unit="runners") as advance:
        runs = truth_runs(scenarios, args.athletes, args.seed, truths, jobs=args.jobs, progress=advance)
    rows = [evaluate_truth(runs, name, horizon_s, seed=args.seed) for name in truths]
    if args.json:
        out = [{k: r[k] for k in JSON_KEYS} for r in rows]
        print(json.dumps(out[0] if len(out) == 1 else out, indent=2))
    else:
        settings = {"scenarios": list(scenarios), "athletes_per_scenario": args.athletes, "seed": args.seed,
                    "horizon_min": args.horizon_min}  # fmt: skip
        print(render_truths(settings, rows))
    return 0


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.0f} %"


def _num(x: float | None, fmt: str = ".1f") -> str:
    return "n/a" if x is None else format(x, fmt)


def _lead(o: dict[str, Any]) -> str:
    """The median lead time and its quartiles; "n/a" alone where ``--json`` has null (it said "n/a min (quartiles
    n/a–n/a)" with no warned cramp; quartiles need two).

    >>> _lead({"median_lead_min": 20.9, "lead_q1_min": 10.9, "lead_q3_min": 23.5})
    '20.9 min (quartiles 10.9–23.5)'
    >>> _lead({"median_lead_min": None, "lead_q1_min": None, "lead_q3_min": None})
    'n/a'
    >>> _lead({"median_lead_min": 4.0, "lead_q1_min": None, "lead_q3_min": None})
    '4.0 min (quartiles n/a)'
    """
    if o["median_lead_min"] is None:
        return "n/a"
    q1, q3 = o["lead_q1_min"], o["lead_q3_min"]
    quartiles = "n/a" if q1 is None or q3 is None else f"{_num(q1)}–{_num(q3)}"
    return f"{_num(o['median_lead_min'])} min (quartiles {quartiles})"


def render(settings: dict[str, Any], rep: dict[str, Any]) -> str:
    o = rep["overall"]
    lines = [
        f"evaluate: {', '.join(settings['scenarios'])} x {plural(settings['athletes_per_scenario'], 'runner')}, "
        f"seed {settings['seed']}, horizon {settings['horizon_min']:g} min",
        f"runners {o['runners']} ({o['runner_hours']:.1f} h), cramping {o['cramping']}",
        f"sensitivity        {_pct(o['sensitivity'])} ({o['hits']}/{o['cramping']} cramping runners warned "
        f"in the {settings['horizon_min']:g} min before onset; "
        f"any time before: {_pct(o['alarm_any_time_before_onset'])})",
        f"median lead time   {_lead(o)}",
        f"false alarms       {_num(o['false_alarms_per_runner_hour'], '.2f')}"
        f"{'' if o['false_alarms_per_runner_hour'] is None else ' per runner-hour'} "
        f"({o['false_alarms']} in {o['hours_at_risk_of_false_alarm']:.1f} h; non-cramping runners alarmed: "
        f"{_pct(o['non_cramping_runners_alarmed'])})",
        f"acute cramp        {_pct(o['acute_cramp_detected_2min'])}"
        f"{' (no cramping runner)' if o['acute_cramp_detected_2min'] is None else ' detected within 2 min of onset'}",
        "",
        f"{'group':28s} {'runners':>7s} {'hours':>6s} {'cramps':>6s} {'sens':>5s} {'lead':>5s} {'FA/h':>5s}",
    ]
    for name, s in [*rep["scenarios"].items(), *rep["templates"].items()]:
        lines.append(
            f"{name[:28]:28s} {s['runners']:7d} {s['runner_hours']:6.1f} {s['cramping']:6d} "
            f"{_pct(s['sensitivity']):>5s} {_num(s['median_lead_min']):>5s} "
            f"{_num(s['false_alarms_per_runner_hour'], '.2f'):>5s}"
        )
    return "\n".join(lines)
